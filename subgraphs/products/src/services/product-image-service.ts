import { freeTextProblem, isUuid, userError, UserErrorCode, type Logger, type UserError } from '@greencart/platform';
import { createHash } from 'node:crypto';
import type { ProductsDb } from '../db/database.js';
import { ProductImageRepository } from '../db/product-image-repository.js';
import { ProductRepository } from '../db/product-repository.js';
import type { ImageFormatName, ProductImageRow, ProductImageUploadRow, ProductRow } from '../db/schema.js';
import { ConcurrencyLimit } from '../images/concurrency-limit.js';
import { imagePath, servedWidth, SERVED_FORMATS, UPLOAD_CONTENT_TYPES, type ServedFormat } from '../images/image-ladder.js';
import { CONTRACT_IMAGE_LIMITS, inspectImage, renderVariant, storableOriginal, type ImageLimits } from '../images/image-processing.js';
import { newUploadToken, UPLOAD_URL_SECONDS, uploadTokenHash } from '../images/upload-tokens.js';
import type { Result } from './catalogue-service.js';

const MAX_ALT_TEXT = 500;

/** How this process serves and takes images: where its URLs point, the limits, how many resizes at once. */
export interface ImageSettings {
  /** The gateway's address as browsers reach it (PUBLIC_URL): image and upload URLs are under it. */
  publicUrl: string;
  limits: ImageLimits;
  /** Resizes this process runs at once (IMAGE_RESIZE_CONCURRENCY). */
  resizeConcurrency: number;
  /** Requests for new sizes that may wait for a resize (IMAGE_RESIZES_WAITING); one more is told to try again (503). */
  resizesWaiting: number;
}

/** Image settings when none are given: the gateway on its local address, the contract's limits, two resizes at once. */
export const DEFAULT_IMAGE_SETTINGS: ImageSettings = { publicUrl: 'http://localhost:4000', limits: CONTRACT_IMAGE_LIMITS, resizeConcurrency: 2, resizesWaiting: 64 };

/** What createProductImageUpload answers: where and how to send the bytes. */
export interface ImageUploadTicket {
  url: string;
  method: 'PUT';
  headers: Array<{ name: string; value: string }>;
  expiresAt: Date;
}

/** An upload's bytes as received: the route reads them under the upload's own cap. */
export interface ReceivedUpload {
  uploadId: string;
  token: string;
  /** The Content-Type the bytes came with. */
  contentType: string | undefined;
  bytes: Buffer;
}

/** The answer to an upload: the stored image, or why nothing was stored, as an HTTP status and a code. */
export type UploadOutcome = { image: ProductImageRow; refusal?: undefined } | { refusal: UploadRefusal };
export interface UploadRefusal {
  status: 400 | 403 | 404 | 409 | 413 | 415;
  code: string;
  message: string;
}

const refused = (...userErrors: UserError[]): { value: null; userErrors: UserError[] } => ({ value: null, userErrors });

/**
 * The per-process side of images: their URLs, and their sizes made once and kept. One per process
 * (made in startProductsService), so that its concurrency limit and its record of sizes being made
 * hold for every request the process answers.
 */
export class ImageVariants {
  private readonly resizes: ConcurrencyLimit;
  /** Sizes being made by this process now, so that its concurrent requests for one wait for the same work. */
  private readonly making = new Map<string, Promise<Buffer | undefined>>();

  constructor(
    private readonly db: ProductsDb,
    readonly settings: ImageSettings,
    private readonly logger: Logger,
  ) {
    this.resizes = new ConcurrencyLimit(settings.resizeConcurrency, settings.resizesWaiting);
  }

  /** The absolute URL of `image` at least `width` wide (see servedWidth) in `format`. */
  url(image: ProductImageRow, width: number | null | undefined, format: ServedFormat): string {
    return new URL(imagePath(image, servedWidth(image.width, width), format), this.settings.publicUrl).toString();
  }

  /**
   * The bytes of `image` at `width` in `format`: kept ones when made before, else made now, once
   * however many requests race for it: in this process they share one promise, across processes
   * they take the variant's lock in the database, and the later ones find the first one's result.
   * Undefined when the image was removed meanwhile.
   */
  async bytes(image: ProductImageRow, width: number, format: ImageFormatName): Promise<Buffer | undefined> {
    const kept = await new ProductImageRepository(this.db).findVariant(image.id, width, format);
    if (kept) return kept;
    const key = `${image.id}:${width}:${format}`;
    let made: Promise<Buffer | undefined> | undefined = this.making.get(key);
    if (!made) {
      made = this.make(image, width, format).finally(() => this.making.delete(key));
      this.making.set(key, made);
    }
    return made;
  }

  private make(image: ProductImageRow, width: number, format: ImageFormatName): Promise<Buffer | undefined> {
    return this.resizes.run(() =>
      this.db.transaction(async (tx) => {
        const images = new ProductImageRepository(tx);
        await images.lockVariant(image.id, width, format);
        const kept = await images.findVariant(image.id, width, format);
        if (kept) return kept;
        const original = await images.original(image.id);
        if (!original) return undefined;
        const bytes = await renderVariant(original, width, format, this.settings.limits.maxPixels);
        await images.insertVariant(image.id, width, format, bytes);
        this.logger.debug('made an image variant', { imageId: image.id, width, format, bytes: bytes.length });
        return bytes;
      }),
    );
  }
}

/** Product images' rules: uploads, their bytes checked and stored, order and alt text, removal. */
export class ProductImageService {
  private readonly images: ProductImageRepository;
  private readonly products: ProductRepository;

  constructor(
    private readonly db: ProductsDb,
    private readonly variants: ImageVariants,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.images = new ProductImageRepository(db);
    this.products = new ProductRepository(db);
  }

  private get settings(): ImageSettings {
    return this.variants.settings;
  }

  async createUpload(input: { productId: string; contentType: string; byteSize: number; altText?: string | null }): Promise<Result<ImageUploadTicket>> {
    const invalid: UserError[] = [];
    const contentType = input.contentType.trim().toLowerCase();
    if (!UPLOAD_CONTENT_TYPES[contentType]) invalid.push(userError(UserErrorCode.INVALID_INPUT, 'Content type must be image/jpeg, image/png, image/webp or image/avif.', 'contentType'));
    const { maxBytes } = this.settings.limits;
    if (!Number.isInteger(input.byteSize) || input.byteSize < 1 || input.byteSize > maxBytes) {
      invalid.push(userError(UserErrorCode.INVALID_INPUT, `Byte size must be 1 to ${maxBytes} bytes (${maxBytes / 1024 / 1024} MiB).`, 'byteSize'));
    }
    const altTextProblem = input.altText == null ? undefined : altTextRule(input.altText);
    if (altTextProblem) invalid.push(altTextProblem);
    if (invalid.length > 0) return refused(...invalid);
    const product = await this.activeProduct(input.productId);
    if (!product) return refused(userError(UserErrorCode.NOT_FOUND, 'No such product in the catalogue.', 'productId'));

    const { token, tokenHash } = newUploadToken();
    const expiresAt = new Date(this.now().getTime() + UPLOAD_URL_SECONDS * 1000);
    const upload = await this.db.transaction((tx) =>
      new ProductImageRepository(tx).insertUpload({ productId: product.id, tokenHash, contentType, byteSize: input.byteSize, altText: input.altText?.trim() || product.name, expiresAt }),
    );
    return {
      value: {
        url: new URL(`/image-uploads/${upload.id}/${token}`, this.settings.publicUrl).toString(),
        method: 'PUT',
        headers: [{ name: 'Content-Type', value: contentType }],
        expiresAt,
      },
      userErrors: [],
    };
  }

  /**
   * Checks an upload's URL before its bytes are read: known, unused, unexpired. Answers the upload
   * (whose declared size is the most bytes to read for it), or why it is refused.
   */
  async checkUpload(uploadId: string, token: string): Promise<{ upload: ProductImageUploadRow; refusal?: undefined } | { refusal: UploadRefusal }> {
    const upload = await this.images.findUpload(uploadId, uploadTokenHash(token));
    if (!upload) return { refusal: { status: 403, code: 'UPLOAD_URL_INVALID', message: 'This upload URL is not valid. Ask for a new one with createProductImageUpload.' } };
    if (upload.usedAt) return { refusal: { status: 409, code: 'UPLOAD_URL_USED', message: 'This upload URL has been used already: each works once. Ask for a new one.' } };
    if (upload.expiresAt <= this.now()) return { refusal: { status: 403, code: 'UPLOAD_URL_EXPIRED', message: 'This upload URL has expired (they work for 15 minutes). Ask for a new one.' } };
    return { upload };
  }

  /**
   * Stores an upload's bytes as a new image, last among its product's: only once they are what was
   * declared (magic bytes and headers, size, pixels) and decode whole, and only if the URL is still
   * unused; the URL is marked used in the same transaction, so a second use fails on any replica.
   */
  async receiveUpload(received: ReceivedUpload): Promise<UploadOutcome> {
    const checked = await this.checkUpload(received.uploadId, received.token);
    if (checked.refusal) return checked;
    const { upload } = checked;
    const declared = UPLOAD_CONTENT_TYPES[upload.contentType]!;
    const sentType = received.contentType?.split(';')[0]?.trim().toLowerCase();
    if (sentType !== upload.contentType) {
      return { refusal: { status: 415, code: 'CONTENT_TYPE_MISMATCH', message: `Send the bytes with Content-Type: ${upload.contentType}, as the upload was declared.` } };
    }
    if (received.bytes.length > upload.byteSize) {
      return { refusal: { status: 413, code: 'UPLOAD_LARGER_THAN_DECLARED', message: `The upload was declared as ${upload.byteSize} bytes; more were sent.` } };
    }
    const limits = { ...this.settings.limits, maxBytes: upload.byteSize };
    const inspected = await inspectImage(received.bytes, declared, limits);
    if (inspected.refusal) return { refusal: inspected.refusal };
    const stored = await storableOriginal(received.bytes, inspected.format, limits);
    if (!stored) return { refusal: { status: 400, code: 'IMAGE_UNREADABLE', message: 'The image could not be decoded: it is truncated or corrupt.' } };

    return this.db.transaction(async (tx): Promise<UploadOutcome> => {
      const images = new ProductImageRepository(tx);
      // Checked before the claim, which is the transaction's first write: a refusal here changes nothing.
      const [product] = await new ProductRepository(tx).findByIds([upload.productId]);
      if (product?.status !== 'ACTIVE') return { refusal: { status: 404, code: 'PRODUCT_NOT_FOUND', message: 'The product is no longer in the catalogue.' } };
      const claimed = await images.claimUpload(upload.id, upload.tokenHash);
      if (!claimed) return { refusal: { status: 409, code: 'UPLOAD_URL_USED', message: 'This upload URL has been used already, or has just expired. Ask for a new one.' } };
      await images.lockImagesOf(upload.productId);
      const image = await images.insert(
        { productId: upload.productId, altText: upload.altText, width: stored.width, height: stored.height, format: inspected.format, contentHash: contentHashOf(stored.bytes) },
        stored.bytes,
      );
      await images.recordUploadedImage(upload.id, image.id);
      return { image };
    });
  }

  async updateImage(id: string, input: { altText?: string | null; position?: number | null }): Promise<Result<ProductImageRow>> {
    const invalid: UserError[] = [];
    if (input.altText != null) {
      const problem = altTextRule(input.altText);
      if (problem) invalid.push(problem);
    }
    if (input.position != null && (!Number.isInteger(input.position) || input.position < 0)) invalid.push(positionProblem());
    if (invalid.length > 0) return refused(...invalid);
    return this.withProductImagesLocked(id, async (images, siblings) => {
      if (input.position != null) {
        if (input.position > siblings.length - 1) return refused(positionProblem(siblings.length));
        const order = siblings.map((sibling) => sibling.id).filter((sibling) => sibling !== id);
        order.splice(input.position, 0, id);
        await images.reorder(siblings, order);
      }
      if (input.altText != null) await images.setAltText(id, input.altText.trim());
      return { value: (await images.findById(id))!, userErrors: [] };
    });
  }

  async removeImage(id: string): Promise<Result<ProductImageRow>> {
    return this.withProductImagesLocked(id, async (images, siblings, image) => {
      await images.delete(id);
      // The rest close up, so positions stay 0 to n-1.
      const rest = siblings.filter((sibling) => sibling.id !== id);
      await images.reorder(
        rest,
        rest.map((sibling) => sibling.id),
      );
      return { value: image, userErrors: [] };
    });
  }

  /**
   * Runs `change` in a transaction holding the lock on the image's product's images, with them in
   * their order; NOT_FOUND when the image is gone (also when removed while the lock was awaited).
   */
  private async withProductImagesLocked(
    id: string,
    change: (images: ProductImageRepository, siblings: ProductImageRow[], image: ProductImageRow) => Promise<Result<ProductImageRow>>,
  ): Promise<Result<ProductImageRow>> {
    const image = await this.images.findById(id);
    if (!image) return refused(imageNotFound());
    return this.db.transaction(async (tx): Promise<Result<ProductImageRow>> => {
      const images = new ProductImageRepository(tx);
      await images.lockImagesOf(image.productId);
      const siblings = await images.listForProducts([image.productId]);
      if (!siblings.some((sibling) => sibling.id === id)) return refused(imageNotFound());
      return change(images, siblings, image);
    });
  }

  private async activeProduct(id: string): Promise<ProductRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.products.findByIds([id]);
    return row?.status === 'ACTIVE' ? row : undefined;
  }
}

/** An image's content hash: SHA-256 of the stored original's bytes, in hex. */
export function contentHashOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The format an API ImageFormat value names. */
export function servedFormat(api: string | null | undefined): ServedFormat {
  return SERVED_FORMATS.find((format) => format.api === api) ?? SERVED_FORMATS[0]!;
}

function altTextRule(altText: string): UserError | undefined {
  const characters = freeTextProblem('Alt text', altText, 'single-line');
  if (characters) return userError(UserErrorCode.INVALID_INPUT, characters, 'altText');
  if (altText.trim().length === 0 || altText.length > MAX_ALT_TEXT) return userError(UserErrorCode.INVALID_INPUT, `Alt text must be 1 to ${MAX_ALT_TEXT} characters.`, 'altText');
}

const imageNotFound = () => userError(UserErrorCode.NOT_FOUND, 'No such product image.', 'id');
const positionProblem = (count?: number) =>
  userError(
    UserErrorCode.INVALID_INPUT,
    count === undefined ? 'Position must be a whole number, 0 or more.' : `Position must be 0 to ${count - 1}: the product has ${count} image${count === 1 ? '' : 's'}.`,
    'position',
  );
