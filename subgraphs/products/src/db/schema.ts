import { sql } from 'drizzle-orm';
import { bigint, check, customType, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** PostgreSQL's bytea, read and written as a Buffer (postgres.js's own mapping of it). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

/** Millisecond precision, so that a timestamp survives a round trip through a JS Date (cursors). */
const timestamps = {
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

export const categories = pgTable(
  'categories',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    ...timestamps,
  },
  (table) => [uniqueIndex('categories_name_lower_key').on(sql`lower(${table.name})`)],
);

export const productStatuses = ['ACTIVE', 'ARCHIVED'] as const;

export const products = pgTable(
  'products',
  {
    id: uuid().primaryKey().defaultRandom(),
    sku: text().notNull(),
    name: text().notNull(),
    description: text().notNull().default(''),
    priceCents: bigint({ mode: 'number' }).notNull(),
    stock: integer().notNull(),
    categoryId: uuid()
      .notNull()
      .references(() => categories.id),
    status: text({ enum: productStatuses }).notNull().default('ACTIVE'),
    ...timestamps,
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    archivedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (table) => [
    // SKUs are unique in any letter case, as category names are (migration 0002 explains existing clashes).
    uniqueIndex('products_sku_lower_key').on(sql`lower(${table.sku})`),
    index('products_category_id_idx').on(table.categoryId),
    index('products_name_id_idx').on(table.name, table.id),
    index('products_price_id_idx').on(table.priceCents, table.id),
    index('products_created_at_id_idx').on(table.createdAt, table.id),
    check('products_stock_not_negative', sql`${table.stock} >= 0`),
    check('products_price_not_negative', sql`${table.priceCents} >= 0`),
  ],
);

export const productRecommendations = pgTable(
  'product_recommendations',
  {
    productId: uuid()
      .notNull()
      .references(() => products.id),
    recommendedProductId: uuid()
      .notNull()
      .references(() => products.id),
    ...timestamps,
  },
  (table) => [
    primaryKey({ name: 'product_recommendations_pkey', columns: [table.productId, table.recommendedProductId] }),
    check('product_recommendations_not_self', sql`${table.productId} <> ${table.recommendedProductId}`),
  ],
);

export const stockReservationStatuses = ['RESERVED', 'RELEASED'] as const;

/**
 * Stock taken for a sibling service (orders) under an id the caller chose, so that a retried call
 * takes nothing more and a release gives the stock back once. A RELEASED row without lines is a
 * tombstone: the release arrived first, and a late reserve with that id must take nothing.
 */
export const stockReservations = pgTable(
  'stock_reservations',
  {
    id: uuid().primaryKey(),
    status: text({ enum: stockReservationStatuses }).notNull(),
    ...timestamps,
    releasedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (table) => [check('stock_reservations_status_known', sql`${table.status} in ('RESERVED', 'RELEASED')`)],
);

/** One product's units in a reservation, with the product's identity and price at that moment. */
export const stockReservationLines = pgTable(
  'stock_reservation_lines',
  {
    reservationId: uuid()
      .notNull()
      .references(() => stockReservations.id),
    productId: uuid()
      .notNull()
      .references(() => products.id),
    /** The line's place in the request, so that a repeated call answers in the same order. */
    position: integer().notNull(),
    sku: text().notNull(),
    name: text().notNull(),
    quantity: integer().notNull(),
    unitPriceCents: bigint({ mode: 'number' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'stock_reservation_lines_pkey', columns: [table.reservationId, table.productId] }),
    index('stock_reservation_lines_product_id_idx').on(table.productId),
    check('stock_reservation_lines_quantity_positive', sql`${table.quantity} > 0`),
    check('stock_reservation_lines_price_not_negative', sql`${table.unitPriceCents} >= 0`),
  ],
);

/** The formats an image is stored and served in, as sharp names them. */
export const imageFormats = ['jpeg', 'png', 'webp', 'avif'] as const;
export type ImageFormatName = (typeof imageFormats)[number];

/**
 * A product's image: what the API shows of it. Its bytes are in product_image_originals and its
 * sizes in product_image_variants, so that listing images reads no bytes.
 */
export const productImages = pgTable(
  'product_images',
  {
    id: uuid().primaryKey().defaultRandom(),
    productId: uuid()
      .notNull()
      .references(() => products.id),
    /** Its place among the product's images, 0 first; the first is the featured image. */
    position: integer().notNull(),
    altText: text().notNull(),
    width: integer().notNull(),
    height: integer().notNull(),
    /** The stored original's format. */
    format: text({ enum: imageFormats }).notNull(),
    /** SHA-256 of the stored original, in hex: its URLs carry a prefix of it, so they change when it does. */
    contentHash: text().notNull(),
    ...timestamps,
  },
  (table) => [
    index('product_images_product_id_position_idx').on(table.productId, table.position),
    check('product_images_position_not_negative', sql`${table.position} >= 0`),
    check('product_images_size_positive', sql`${table.width} > 0 and ${table.height} > 0`),
  ],
);

/** An image's original as uploaded, re-encoded without its metadata. */
export const productImageOriginals = pgTable('product_image_originals', {
  imageId: uuid()
    .primaryKey()
    .references(() => productImages.id, { onDelete: 'cascade' }),
  bytes: bytea().notNull(),
});

/** One size and format of an image, made from the original on its first request and kept. */
export const productImageVariants = pgTable(
  'product_image_variants',
  {
    imageId: uuid()
      .notNull()
      .references(() => productImages.id, { onDelete: 'cascade' }),
    width: integer().notNull(),
    format: text({ enum: imageFormats }).notNull(),
    bytes: bytea().notNull(),
    ...timestamps,
  },
  (table) => [primaryKey({ name: 'product_image_variants_pkey', columns: [table.imageId, table.width, table.format] })],
);

/**
 * A one-time upload URL given by createProductImageUpload. Only the SHA-256 of its token is kept,
 * so the table holds nothing that would let anyone upload; `used_at` is set in the transaction
 * that stores the image, so a second use fails on every replica.
 */
export const productImageUploads = pgTable(
  'product_image_uploads',
  {
    id: uuid().primaryKey().defaultRandom(),
    productId: uuid()
      .notNull()
      .references(() => products.id),
    tokenHash: text().notNull(),
    contentType: text().notNull(),
    byteSize: integer().notNull(),
    altText: text().notNull(),
    expiresAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp({ withTimezone: true, precision: 3 }),
    /** The image the upload stored, once used. */
    imageId: uuid().references(() => productImages.id, { onDelete: 'set null' }),
    ...timestamps,
  },
  (table) => [check('product_image_uploads_byte_size_positive', sql`${table.byteSize} > 0`)],
);

export type CategoryRow = typeof categories.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type StockReservationRow = typeof stockReservations.$inferSelect;
export type StockReservationLineRow = typeof stockReservationLines.$inferSelect;
export type ProductImageRow = typeof productImages.$inferSelect;
export type ProductImageUploadRow = typeof productImageUploads.$inferSelect;
