import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { isUuid } from '@greencart/platform';
import type { Executor } from './database.js';
import { productImageOriginals, productImages, productImageUploads, productImageVariants, type ImageFormatName, type ProductImageRow, type ProductImageUploadRow } from './schema.js';

export type NewProductImage = Omit<ProductImageRow, 'id' | 'position' | 'createdAt'>;
export type NewProductImageUpload = Omit<ProductImageUploadRow, 'id' | 'usedAt' | 'imageId' | 'createdAt'>;

/** Product image SQL. Methods return plain rows, or undefined; ids that are not UUIDs match nothing. */
export class ProductImageRepository {
  constructor(private readonly db: Executor) {}

  /** The images of these products, each product's in their order. */
  async listForProducts(productIds: readonly string[]): Promise<ProductImageRow[]> {
    const ids = productIds.filter(isUuid);
    if (ids.length === 0) return [];
    return this.db.select().from(productImages).where(inArray(productImages.productId, ids)).orderBy(asc(productImages.productId), asc(productImages.position), asc(productImages.id));
  }

  async findById(id: string): Promise<ProductImageRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(productImages).where(eq(productImages.id, id));
    return row;
  }

  /**
   * Serialises, until this transaction ends, the transactions that change one product's images, so
   * that positions are computed from a list nobody else is changing. An advisory lock rather than
   * the product's row: stock movements lock that row, and need not wait for an image.
   */
  async lockImagesOf(productId: string): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`product-images:${productId}`}, 0))`);
  }

  /** Adds an image last among its product's images, with its original's bytes. Call lockImagesOf first. */
  async insert(image: NewProductImage, original: Buffer): Promise<ProductImageRow> {
    const [row] = await this.db
      .insert(productImages)
      .values({ ...image, position: sql`(select coalesce(max(${productImages.position}) + 1, 0) from ${productImages} where ${productImages.productId} = ${image.productId})` })
      .returning();
    await this.db.insert(productImageOriginals).values({ imageId: row!.id, bytes: original });
    return row!;
  }

  /** Gives each image its index in `orderedIds` as its position, writing only those that move. */
  async reorder(images: readonly ProductImageRow[], orderedIds: readonly string[]): Promise<void> {
    for (const [position, id] of orderedIds.entries()) {
      if (images.find((image) => image.id === id)?.position !== position) await this.db.update(productImages).set({ position }).where(eq(productImages.id, id));
    }
  }

  async setAltText(id: string, altText: string): Promise<void> {
    await this.db.update(productImages).set({ altText }).where(eq(productImages.id, id));
  }

  /** Deletes an image; its original and variants go with it (foreign keys on delete cascade). */
  async delete(id: string): Promise<void> {
    await this.db.delete(productImages).where(eq(productImages.id, id));
  }

  async original(imageId: string): Promise<Buffer | undefined> {
    const [row] = await this.db.select({ bytes: productImageOriginals.bytes }).from(productImageOriginals).where(eq(productImageOriginals.imageId, imageId));
    return row?.bytes;
  }

  async findVariant(imageId: string, width: number, format: ImageFormatName): Promise<Buffer | undefined> {
    const [row] = await this.db
      .select({ bytes: productImageVariants.bytes })
      .from(productImageVariants)
      .where(and(eq(productImageVariants.imageId, imageId), eq(productImageVariants.width, width), eq(productImageVariants.format, format)));
    return row?.bytes;
  }

  /**
   * Serialises, until this transaction ends, the transactions that would make one variant, across
   * every process: the first makes it, the others then find it made.
   */
  async lockVariant(imageId: string, width: number, format: ImageFormatName): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`product-image-variant:${imageId}:${width}:${format}`}, 0))`);
  }

  async insertVariant(imageId: string, width: number, format: ImageFormatName, bytes: Buffer): Promise<void> {
    await this.db.insert(productImageVariants).values({ imageId, width, format, bytes }).onConflictDoNothing();
  }

  async insertUpload(upload: NewProductImageUpload): Promise<ProductImageUploadRow> {
    const [row] = await this.db.insert(productImageUploads).values(upload).returning();
    return row!;
  }

  async findUpload(id: string, tokenHash: string): Promise<ProductImageUploadRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db
      .select()
      .from(productImageUploads)
      .where(and(eq(productImageUploads.id, id), eq(productImageUploads.tokenHash, tokenHash)));
    return row;
  }

  /**
   * Marks an upload used, if it is still unused and unexpired: its row's lock makes a racing second
   * use wait for this transaction, then find it used. Undefined when it was not claimable.
   */
  async claimUpload(id: string, tokenHash: string): Promise<ProductImageUploadRow | undefined> {
    const [row] = await this.db
      .update(productImageUploads)
      .set({ usedAt: sql`now()` })
      .where(and(eq(productImageUploads.id, id), eq(productImageUploads.tokenHash, tokenHash), isNull(productImageUploads.usedAt), gt(productImageUploads.expiresAt, sql`now()`)))
      .returning();
    return row;
  }

  async recordUploadedImage(uploadId: string, imageId: string): Promise<void> {
    await this.db.update(productImageUploads).set({ imageId }).where(eq(productImageUploads.id, uploadId));
  }
}
