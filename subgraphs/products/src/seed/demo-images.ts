import { and, eq, inArray, notExists, sql } from 'drizzle-orm';
import sharp from 'sharp';
import type { Executor, ProductsDb } from '../db/database.js';
import { categories, productImageOriginals, productImages, products } from '../db/schema.js';
import { contentHashOf } from '../services/product-image-service.js';

/** The demo originals' size: small, so seeding stays quick, and still three steps of the ladder (160, 320, 640). */
export const DEMO_IMAGE_SIZE = 640;

/** Each demo category's colours: a background and an accent. */
const CATEGORY_COLOURS: Record<string, [string, string]> = {
  'Fresh Produce': ['#2d6a4f', '#95d5b2'],
  Bakery: ['#9c6644', '#f2cc8f'],
  Dairy: ['#457b9d', '#f1faee'],
  Pantry: ['#bc6c25', '#fefae0'],
  Household: ['#3d5a80', '#98c1d9'],
  'Personal Care': ['#b5838d', '#ffe5d9'],
};

/** A 32-bit hash of a text (FNV-1a): the same product always gets the same picture. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (const char of text) hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193) >>> 0;
  return hash;
}

/**
 * A product's artwork: the category's colours, and circles and a band placed by the hash of the
 * product's name, so each product's picture is its own. Shapes only: text would need fonts, which
 * a server may not have.
 */
export function demoArtwork(name: string, category: string): string {
  const [background, accent] = CATEGORY_COLOURS[category] ?? ['#52796f', '#cad2c5'];
  const size = DEMO_IMAGE_SIZE;
  const hash = hashOf(name);
  const at = (shift: number, range: number, from = 0) => from + ((hash >>> shift) % range);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">
<rect width="${size}" height="${size}" fill="${background}"/>
<circle cx="${at(0, 240, 200)}" cy="${at(8, 200, 200)}" r="${at(16, 80, 150)}" fill="${accent}" fill-opacity="0.85"/>
<circle cx="${at(4, 300, 170)}" cy="${at(12, 240, 160)}" r="${at(20, 50, 50)}" fill="#ffffff" fill-opacity="0.35"/>
<rect x="80" y="${at(24, 60, 500)}" width="480" height="36" rx="18" fill="${accent}" fill-opacity="0.6"/>
</svg>`;
}

/**
 * Gives every demo product that has no image its artwork (a JPEG drawn from an SVG by sharp;
 * nothing downloaded). Idempotent: a product with an image is left alone, so seeding twice, or by
 * two replicas at once (serialised by a lock), changes nothing.
 */
export async function seedDemoImages(db: ProductsDb, skus: readonly string[]): Promise<void> {
  const lacking = (executor: Executor) =>
    executor
      .select({ id: products.id, name: products.name, category: categories.name })
      .from(products)
      .innerJoin(categories, eq(categories.id, products.categoryId))
      .where(
        and(
          inArray(
            sql`lower(${products.sku})`,
            skus.map((sku) => sku.toLowerCase()),
          ),
          notExists(
            executor
              .select({ one: sql`1` })
              .from(productImages)
              .where(eq(productImages.productId, products.id)),
          ),
        ),
      );
  // Drawn before the transaction, and only for products without an image: a restart draws nothing.
  const drawn = await Promise.all(
    (await lacking(db)).map(async (product) => ({
      product,
      bytes: await sharp(Buffer.from(demoArtwork(product.name, product.category)))
        .jpeg({ quality: 80 })
        .toBuffer(),
    })),
  );
  if (drawn.length === 0) return;
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('demo-images', 0))`);
    // Another process may have seeded them while these were drawn.
    const stillLacking = new Set((await lacking(tx)).map((product) => product.id));
    const chosen = drawn.filter(({ product }) => stillLacking.has(product.id));
    if (chosen.length === 0) return;
    // Each is its product's only image, so first (position 0); all in two statements.
    const rows = await tx
      .insert(productImages)
      .values(
        chosen.map(({ product, bytes }) => ({
          productId: product.id,
          position: 0,
          altText: product.name,
          width: DEMO_IMAGE_SIZE,
          height: DEMO_IMAGE_SIZE,
          format: 'jpeg' as const,
          contentHash: contentHashOf(bytes),
        })),
      )
      .returning({ id: productImages.id, productId: productImages.productId });
    const bytesOf = new Map(chosen.map(({ product, bytes }) => [product.id, bytes]));
    await tx.insert(productImageOriginals).values(rows.map((row) => ({ imageId: row.id, bytes: bytesOf.get(row.productId)! })));
  });
}
