CREATE TABLE "stock_reservation_lines" (
	"reservation_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"sku" text NOT NULL,
	"name" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_cents" bigint NOT NULL,
	CONSTRAINT "stock_reservation_lines_pkey" PRIMARY KEY("reservation_id","product_id"),
	CONSTRAINT "stock_reservation_lines_quantity_positive" CHECK ("stock_reservation_lines"."quantity" > 0),
	CONSTRAINT "stock_reservation_lines_price_not_negative" CHECK ("stock_reservation_lines"."unit_price_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "stock_reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp (3) with time zone,
	CONSTRAINT "stock_reservations_status_known" CHECK ("stock_reservations"."status" in ('RESERVED', 'RELEASED'))
);
--> statement-breakpoint
ALTER TABLE "stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_reservation_id_stock_reservations_id_fk" FOREIGN KEY ("reservation_id") REFERENCES "public"."stock_reservations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stock_reservation_lines_product_id_idx" ON "stock_reservation_lines" USING btree ("product_id");