import { sql } from 'drizzle-orm';
import { check, index, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Reviews: one per customer and product (writing again replaces it). The product and the customer
 * are owned by products and accounts; only their ids are kept here.
 */
export const reviews = pgTable(
  'reviews',
  {
    id: uuid().primaryKey().defaultRandom(),
    productId: uuid().notNull(),
    customerId: uuid().notNull(),
    rating: smallint().notNull(),
    title: text().notNull(),
    body: text().notNull(),
    // Millisecond precision, so that a timestamp survives a round trip through a JS Date (cursors).
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    // What makes "writing again replaces it" hold under concurrent writes: one upsert on this key.
    uniqueIndex('reviews_product_id_customer_id_key').on(table.productId, table.customerId),
    // A product's reviews page by page, newest first.
    index('reviews_product_id_created_at_id_idx').on(table.productId, table.createdAt, table.id),
    // A customer's reviews page by page.
    index('reviews_customer_id_created_at_id_idx').on(table.customerId, table.createdAt, table.id),
    // Ratings are counted from this index alone (an index-only scan per product).
    index('reviews_product_id_rating_idx').on(table.productId, table.rating),
    check('reviews_rating_stars', sql`${table.rating} between 1 and 5`),
  ],
);

export type ReviewRow = typeof reviews.$inferSelect;
