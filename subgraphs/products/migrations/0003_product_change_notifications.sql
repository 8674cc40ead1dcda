-- The change feed (GET /events): every committed change a subscriber of productUpdated can see
-- (name, price, stock, availability, or a new product) notifies greencart_product_changed with the
-- product's id. Triggers, not application code, so that every path writes it (stock moved by
-- orders, a second replica, an operator's SQL), and NOTIFY is delivered only at commit, once per
-- transaction and id, in commit order: a rolled-back change notifies nobody.
CREATE FUNCTION "notify_product_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('greencart_product_changed', NEW.id::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "products_notify_created" AFTER INSERT ON "products"
  FOR EACH ROW EXECUTE FUNCTION "notify_product_changed"();
--> statement-breakpoint
-- Only the columns subscribers see: a description or category change, or updated_at alone, is no event.
CREATE TRIGGER "products_notify_changed" AFTER UPDATE ON "products"
  FOR EACH ROW
  WHEN (
    OLD."name" IS DISTINCT FROM NEW."name"
    OR OLD."price_cents" IS DISTINCT FROM NEW."price_cents"
    OR OLD."stock" IS DISTINCT FROM NEW."stock"
    OR OLD."status" IS DISTINCT FROM NEW."status"
  )
  EXECUTE FUNCTION "notify_product_changed"();
