-- The change feed (GET /events): a review written, replaced or deleted changes its product's
-- reviews and rating, so it notifies greencart_review_changed with the product's id, which the
-- gateway's cache drops answers by. Triggers, as products' migration 0003, so that every path
-- (a second replica, an operator's SQL) notifies, and only at commit.
CREATE FUNCTION "notify_review_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('greencart_review_changed', OLD.product_id::text);
  ELSE
    PERFORM pg_notify('greencart_review_changed', NEW.product_id::text);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "reviews_notify_changed" AFTER INSERT OR UPDATE OR DELETE ON "reviews"
  FOR EACH ROW EXECUTE FUNCTION "notify_review_changed"();
