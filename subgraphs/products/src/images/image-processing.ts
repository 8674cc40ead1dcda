import sharp, { type Metadata, type Sharp } from 'sharp';
import type { ImageFormatName } from '../db/schema.js';

/** Why the bytes of an upload were refused: an HTTP status and a code, as every refusal answers. */
export interface ImageRefusal {
  status: 400 | 413 | 415;
  code: string;
  message: string;
}

/** The limits an upload is held to. */
export interface ImageLimits {
  /** The most bytes an upload may have. */
  maxBytes: number;
  /** The most pixels (width × height) an image may have. */
  maxPixels: number;
}

/** The contract's limits: 10 MiB and 50 megapixels. Operators may lower them, never raise them. */
export const CONTRACT_IMAGE_LIMITS: ImageLimits = { maxBytes: 10 * 1024 * 1024, maxPixels: 50_000_000 };

const notAnImage: ImageRefusal = { status: 415, code: 'NOT_AN_IMAGE', message: 'The bytes are not a JPEG, PNG, WebP or AVIF image.' };

/**
 * The format the first bytes say a file is in, by their magic numbers; undefined for anything else.
 * Checked before any decoder sees the bytes, so that no other format's parser (SVG, TIFF, GIF…) is reached.
 */
export function sniffImageFormat(bytes: Buffer): ImageFormatName | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  // ISO BMFF: a leading `ftyp` box whose major or a compatible brand is AVIF's.
  if (bytes.length >= 16 && bytes.toString('latin1', 4, 8) === 'ftyp') {
    const boxEnd = Math.min(bytes.readUInt32BE(0), bytes.length, 256);
    const brands = [bytes.toString('latin1', 8, 12)];
    for (let offset = 16; offset + 4 <= boxEnd; offset += 4) brands.push(bytes.toString('latin1', offset, offset + 4));
    if (brands.some((brand) => brand === 'avif' || brand === 'avis')) return 'avif';
  }
  return undefined;
}

/** The format sharp reports, in our names (it calls AVIF `heif` with AV1 compression). */
function formatOfMetadata(metadata: Metadata): ImageFormatName | undefined {
  if (metadata.format === 'heif') return metadata.compression === 'av1' ? 'avif' : undefined;
  return (['jpeg', 'png', 'webp'] as const).find((format) => format === metadata.format);
}

/** What an upload's bytes are, read from their headers only (no pixel is decoded), or why they are refused. */
export async function inspectImage(
  bytes: Buffer,
  declared: ImageFormatName,
  limits: ImageLimits,
): Promise<{ format: ImageFormatName; width: number; height: number; refusal?: undefined } | { refusal: ImageRefusal }> {
  const sniffed = sniffImageFormat(bytes);
  if (!sniffed) return { refusal: notAnImage };
  if (sniffed !== declared) return { refusal: mismatch(sniffed, declared) };
  let metadata: Metadata;
  try {
    // No pixel limit here: metadata reads headers only, and the limit would make a bomb look like no image at all.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return { refusal: notAnImage };
  }
  const format = formatOfMetadata(metadata);
  if (!format) return { refusal: notAnImage };
  if (format !== declared) return { refusal: mismatch(format, declared) };
  const { width, height } = metadata;
  if (!width || !height) return { refusal: { status: 400, code: 'IMAGE_UNREADABLE', message: 'The image does not say how large it is.' } };
  // From the header alone, before anything decodes: a small file may declare a huge image (a decompression bomb).
  if (width * height > limits.maxPixels) {
    return { refusal: { status: 413, code: 'IMAGE_TOO_MANY_PIXELS', message: `The image is ${width} × ${height} pixels; at most ${limits.maxPixels} pixels are taken.` } };
  }
  return { format, width, height };
}

const mismatch = (actual: ImageFormatName, declared: ImageFormatName): ImageRefusal => ({
  status: 415,
  code: 'CONTENT_TYPE_MISMATCH',
  message: `The bytes are a ${actual.toUpperCase()} image, but the upload was declared as ${declared.toUpperCase()}.`,
});

/** Encoder settings per format: quality for the eye, and AVIF's effort low, as its encoder is slow. */
function encode(pipeline: Sharp, format: ImageFormatName): Sharp {
  if (format === 'jpeg') return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: false });
  if (format === 'png') return pipeline.png({ compressionLevel: 6 });
  if (format === 'webp') return pipeline.webp({ quality: 80, effort: 3 });
  return pipeline.avif({ quality: 55, effort: 2 });
}

/**
 * The original as it is kept: turned upright by its EXIF orientation, then encoded again in its
 * own format. sharp writes no metadata unless told to (`withMetadata`), so EXIF, GPS, XMP and
 * comments are gone. Undefined when the pixels cannot be decoded (a truncated or corrupt file).
 */
export async function storableOriginal(bytes: Buffer, format: ImageFormatName, limits: ImageLimits): Promise<{ bytes: Buffer; width: number; height: number } | undefined> {
  try {
    const { data, info } = await encode(sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error' }).autoOrient(), format).toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height };
  } catch {
    return undefined;
  }
}

/** One served size of an original: `width` pixels wide (never enlarged), in `format`, without metadata. */
export async function renderVariant(original: Buffer, width: number, format: ImageFormatName, maxPixels: number): Promise<Buffer> {
  return encode(sharp(original, { limitInputPixels: maxPixels }).resize({ width, withoutEnlargement: true }), format).toBuffer();
}

/**
 * Process-wide settings of libvips, set once at start: one thread per image operation (the
 * concurrency limit decides how many run at once, so resizes never take more cores than it allows),
 * and no operation cache (variants are kept in the database; the cache would only hold memory).
 */
export function configureImageProcessing(): void {
  sharp.concurrency(1);
  sharp.cache(false);
}
