-- The change feed (GET /events): an order created, its status changed, or a transaction recorded
-- on it notifies greencart_order_changed with the order's id. Triggers, so that every path writes
-- it (a second replica, the recovery sweep, an operator's SQL); NOTIFY is delivered only at commit,
-- once per transaction and id, in commit order, so a rolled-back change notifies nobody.
-- PLACING rows are claims no client can see: they notify only when they become orders
-- (PLACING -> PENDING_PAYMENT), and a claim deleted after a refused placement never does.
CREATE FUNCTION "notify_order_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('greencart_order_changed', NEW.id::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "notify_order_of_transaction_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('greencart_order_changed', NEW.order_id::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "orders_notify_created" AFTER INSERT ON "orders"
  FOR EACH ROW WHEN (NEW."status" <> 'PLACING')
  EXECUTE FUNCTION "notify_order_changed"();
--> statement-breakpoint
CREATE TRIGGER "orders_notify_status_changed" AFTER UPDATE ON "orders"
  FOR EACH ROW WHEN (NEW."status" <> 'PLACING' AND OLD."status" IS DISTINCT FROM NEW."status")
  EXECUTE FUNCTION "notify_order_changed"();
--> statement-breakpoint
CREATE TRIGGER "transactions_notify_order_changed" AFTER INSERT ON "transactions"
  FOR EACH ROW EXECUTE FUNCTION "notify_order_of_transaction_changed"();
