CREATE TABLE "product_pairs" (
	"product_id" uuid NOT NULL,
	"other_product_id" uuid NOT NULL,
	"orders_count" integer NOT NULL,
	"last_ordered_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "product_pairs_pkey" PRIMARY KEY("product_id","other_product_id"),
	CONSTRAINT "product_pairs_distinct" CHECK ("product_pairs"."product_id" <> "product_pairs"."other_product_id"),
	CONSTRAINT "product_pairs_orders_count_not_negative" CHECK ("product_pairs"."orders_count" >= 0)
);
--> statement-breakpoint
CREATE INDEX "order_items_product_id_idx" ON "order_items" USING btree ("product_id");--> statement-breakpoint
-- Back-fill from the orders placed so far (not PLACING claims, not cancelled orders): both
-- directions of every pair of distinct products in an order.
INSERT INTO "product_pairs" ("product_id", "other_product_id", "orders_count", "last_ordered_at")
SELECT "a"."product_id", "b"."product_id", count(DISTINCT "o"."id")::integer, max("o"."created_at")
FROM "orders" "o"
JOIN "order_items" "a" ON "a"."order_id" = "o"."id"
JOIN "order_items" "b" ON "b"."order_id" = "o"."id" AND "b"."product_id" <> "a"."product_id"
WHERE "o"."status" NOT IN ('PLACING', 'CANCELLED')
GROUP BY "a"."product_id", "b"."product_id";
