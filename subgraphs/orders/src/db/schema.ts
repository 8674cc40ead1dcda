import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const timestamps = {
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

/** One cart per customer (the customer is owned by accounts: only its id is kept here). */
export const carts = pgTable('carts', { id: uuid().primaryKey().defaultRandom(), customerId: uuid().notNull(), ...timestamps }, (table) => [
  uniqueIndex('carts_customer_id_key').on(table.customerId),
]);

export const cartItems = pgTable(
  'cart_items',
  {
    id: uuid().primaryKey().defaultRandom(),
    cartId: uuid()
      .notNull()
      .references(() => carts.id, { onDelete: 'cascade' }),
    /** A product owned by the products subgraph. */
    productId: uuid().notNull(),
    quantity: integer().notNull(),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('cart_items_cart_id_product_id_key').on(table.cartId, table.productId),
    index('cart_items_product_id_idx').on(table.productId),
    check('cart_items_quantity_positive', sql`${table.quantity} > 0`),
  ],
);

export type CartRow = typeof carts.$inferSelect;
export type CartItemRow = typeof cartItems.$inferSelect;
