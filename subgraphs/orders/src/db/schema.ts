import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgSequence, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const timestamps = {
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

/** One cart per customer (the customer is owned by accounts: only its id is kept here). */
export const carts = pgTable('carts', { id: uuid().primaryKey().defaultRandom(), customerId: uuid().notNull(), ...timestamps }, (table) => [uniqueIndex('carts_customer_id_key').on(table.customerId)]);

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

export const orderStatuses = ['PLACING', 'PENDING_PAYMENT', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** Order numbers: GC- and this sequence, so they are unique and short enough to read out on the phone. */
export const orderNumbers = pgSequence('order_number_seq', { startWith: 100001 });

/**
 * Orders. A row is written first as PLACING, which claims the customer's idempotency key before
 * any stock is taken; it becomes PENDING_PAYMENT with its lines in one transaction once the stock
 * is reserved. PLACING rows are never shown; one left by a crash is swept and its stock released.
 */
export const orders = pgTable(
  'orders',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Set when the order is placed (PLACING rows have none). */
    number: text(),
    customerId: uuid().notNull(),
    status: text({ enum: orderStatuses }).notNull(),
    idempotencyKey: text().notNull(),
    /** A digest of what was asked (items or the cart, and the address), to tell a retry from a different order with the same key. */
    requestFingerprint: text().notNull(),
    /** The products subgraph's reservation of this order's stock. */
    stockReservationId: uuid().notNull(),
    /** When a cancelled (or abandoned) order's stock was given back; null while that is still to do. */
    stockReleasedAt: timestamp({ withTimezone: true, precision: 3 }),
    subtotalCents: bigint({ mode: 'number' }).notNull().default(0),
    totalCents: bigint({ mode: 'number' }).notNull().default(0),
    shippingLine1: text(),
    shippingLine2: text(),
    shippingCity: text(),
    shippingPostalCode: text(),
    shippingCountry: text(),
    ...timestamps,
  },
  (table) => [
    uniqueIndex('orders_customer_id_idempotency_key_key').on(table.customerId, table.idempotencyKey),
    uniqueIndex('orders_number_key').on(table.number),
    uniqueIndex('orders_stock_reservation_id_key').on(table.stockReservationId),
    index('orders_customer_id_created_at_idx').on(table.customerId, table.createdAt, table.id),
    index('orders_created_at_idx').on(table.createdAt, table.id),
    check('orders_totals_not_negative', sql`${table.subtotalCents} >= 0 and ${table.totalCents} >= 0`),
  ],
);

export const orderItems = pgTable(
  'order_items',
  {
    id: uuid().primaryKey().defaultRandom(),
    orderId: uuid()
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    /** The line's place in the order, as the customer listed it. */
    position: integer().notNull(),
    productId: uuid().notNull(),
    sku: text().notNull(),
    name: text().notNull(),
    quantity: integer().notNull(),
    unitPriceCents: bigint({ mode: 'number' }).notNull(),
    lineTotalCents: bigint({ mode: 'number' }).notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index('order_items_order_id_idx').on(table.orderId), index('order_items_product_id_idx').on(table.productId), check('order_items_quantity_positive', sql`${table.quantity} > 0`)],
);

/**
 * How often two products were bought together: one row per ordered pair (both directions), counting
 * the placed, not cancelled orders that hold both. Kept in the transactions that place and cancel
 * orders, so `Product.boughtTogether` reads one index range per product.
 */
export const productPairs = pgTable(
  'product_pairs',
  {
    productId: uuid().notNull(),
    otherProductId: uuid().notNull(),
    ordersCount: integer().notNull(),
    /** When the most recent such order was placed (the tie-break). */
    lastOrderedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'product_pairs_pkey', columns: [table.productId, table.otherProductId] }),
    check('product_pairs_distinct', sql`${table.productId} <> ${table.otherProductId}`),
    check('product_pairs_orders_count_not_negative', sql`${table.ordersCount} >= 0`),
  ],
);

export const transactionKinds = ['CHARGE', 'REFUND'] as const;
export const transactionStatuses = ['SUCCEEDED', 'FAILED'] as const;

/** Payment attempts and refunds (written by payments). */
export const transactions = pgTable(
  'transactions',
  {
    id: uuid().primaryKey().defaultRandom(),
    orderId: uuid()
      .notNull()
      .references(() => orders.id),
    kind: text({ enum: transactionKinds }).notNull(),
    status: text({ enum: transactionStatuses }).notNull(),
    amountCents: bigint({ mode: 'number' }).notNull(),
    failureReason: text(),
    paymentMethodId: uuid(),
    /** The processor's id for the charge or refund (what a refund refers to). */
    processorReference: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index('transactions_order_id_idx').on(table.orderId, table.createdAt)],
);

/** Invoice numbers: INV- and this sequence, taken under a lock so that they increase in issue order. */
export const invoiceNumbers = pgSequence('invoice_number_seq', { startWith: 1 });

/** Invoices: one per paid order, never changed after they are issued. */
export const invoices = pgTable(
  'invoices',
  {
    id: uuid().primaryKey().defaultRandom(),
    orderId: uuid()
      .notNull()
      .references(() => orders.id),
    /** The order's customer, kept here so that a customer's invoices list without a join. */
    customerId: uuid().notNull(),
    number: text().notNull(),
    billedToName: text().notNull(),
    billedToEmail: text().notNull(),
    subtotalCents: bigint({ mode: 'number' }).notNull(),
    totalCents: bigint({ mode: 'number' }).notNull(),
    issuedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('invoices_order_id_key').on(table.orderId),
    uniqueIndex('invoices_number_key').on(table.number),
    index('invoices_issued_at_idx').on(table.issuedAt, table.id),
    index('invoices_customer_id_issued_at_idx').on(table.customerId, table.issuedAt, table.id),
  ],
);

/** An invoice's lines, copied from the order when the invoice is issued. */
export const invoiceLines = pgTable(
  'invoice_lines',
  {
    id: uuid().primaryKey().defaultRandom(),
    invoiceId: uuid()
      .notNull()
      .references(() => invoices.id),
    position: integer().notNull(),
    description: text().notNull(),
    sku: text().notNull(),
    quantity: integer().notNull(),
    unitPriceCents: bigint({ mode: 'number' }).notNull(),
    lineTotalCents: bigint({ mode: 'number' }).notNull(),
  },
  (table) => [index('invoice_lines_invoice_id_idx').on(table.invoiceId, table.position)],
);

export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;
export type TransactionRow = typeof transactions.$inferSelect;
export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;
export type CartRow = typeof carts.$inferSelect;
export type CartItemRow = typeof cartItems.$inferSelect;
