import type { ImageFormatName } from '../db/schema.js';

/** The widths images are served at (px): a fixed ladder, so a handful of sizes per image is ever made and kept. */
export const WIDTH_LADDER = [160, 320, 640, 960, 1280, 1920] as const;

/** The widths one image is offered at: the ladder's steps narrower than the original, and the original's width. */
export function offeredWidths(originalWidth: number): number[] {
  return [...WIDTH_LADDER.filter((step) => step < originalWidth), originalWidth];
}

/**
 * The width served for a request of at least `requested` pixels: the narrowest offered width that
 * is at least as wide, or the original's when none is (nothing is made wider than the original);
 * the original's when no width is asked for.
 */
export function servedWidth(originalWidth: number, requested?: number | null): number {
  if (requested == null) return originalWidth;
  return offeredWidths(originalWidth).find((width) => width >= requested) ?? originalWidth;
}

/** What a served format is called in the API, in URLs and over HTTP. */
export interface ServedFormat {
  /** Its name in the API's ImageFormat enum. */
  api: 'WEBP' | 'AVIF' | 'JPEG';
  format: ImageFormatName;
  extension: string;
  contentType: string;
}

export const SERVED_FORMATS: readonly ServedFormat[] = [
  { api: 'WEBP', format: 'webp', extension: 'webp', contentType: 'image/webp' },
  { api: 'AVIF', format: 'avif', extension: 'avif', contentType: 'image/avif' },
  { api: 'JPEG', format: 'jpeg', extension: 'jpg', contentType: 'image/jpeg' },
];

/** The formats an upload may be in, by the media type it declares. */
export const UPLOAD_CONTENT_TYPES: Readonly<Record<string, ImageFormatName>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/avif': 'avif',
};

/** How many hex digits of an image's content hash its URLs carry: enough that a changed image never shares a URL. */
export const URL_HASH_LENGTH = 20;

/** An image's URL path: `/images/<id>/<hash prefix>/<width>.<extension>`. */
export function imagePath(image: { id: string; contentHash: string }, width: number, format: ServedFormat): string {
  return `/images/${image.id}/${image.contentHash.slice(0, URL_HASH_LENGTH)}/${width}.${format.extension}`;
}

/** Reads the last part of an image URL (`640.webp`): its width and format, or undefined for anything else. */
export function parseImageFile(file: string): { width: number; format: ServedFormat } | undefined {
  const match = /^([1-9]\d{0,5})\.([a-z]{3,4})$/.exec(file);
  const format = SERVED_FORMATS.find((served) => served.extension === match?.[2]);
  return match && format ? { width: Number(match[1]), format } : undefined;
}
