-- SKUs become unique in any letter case, as category names are: "SKU-1" and "sku-1" are one SKU.
-- A database may already hold SKUs that differ only in case (the old index compared them exactly).
-- Renaming one here would change an identifier that labels, invoices and other systems use, so
-- instead this migration refuses, naming every clash, and changes nothing (drizzle applies pending
-- migrations in one transaction); the products service does not start until they are renamed.
DO $$
DECLARE
  clashes text;
BEGIN
  SELECT string_agg(clash, '; ' ORDER BY clash) INTO clashes
  FROM (
    SELECT string_agg(format('%s (id %s)', sku, id), ', ' ORDER BY sku, id) AS clash
    FROM products
    GROUP BY lower(sku)
    HAVING count(*) > 1
  ) AS clashing;
  IF clashes IS NOT NULL THEN
    RAISE EXCEPTION 'Cannot make SKUs unique in any letter case: these SKUs differ only in case: %', clashes
      USING HINT = 'Rename all but one SKU of each group (UPDATE products SET sku = ''<new sku>'' WHERE id = ''<id>''), then start the products service again.';
  END IF;
END $$;
--> statement-breakpoint
DROP INDEX "products_sku_key";--> statement-breakpoint
CREATE UNIQUE INDEX "products_sku_lower_key" ON "products" USING btree (lower("sku"));
