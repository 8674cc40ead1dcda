import { getFragmentData, type FragmentType } from '../generated';
import { ProductImageSmallFragmentDoc } from '../generated/graphql';

/**
 * `sizes` for each box a product picture fills, matching styles.css: a tile in the product grid
 * (2 columns, 3 from 720px, 4 from 1000px, in a page at most 1160px wide with its padding and
 * gaps), a cart line's 5rem, a product page's large picture (full width, then 1.1 of 2.1 columns
 * from 820px) and its thumbnails.
 */
export const IMAGE_SIZES = {
  card: '(min-width: 1160px) 266px, (min-width: 1000px) calc(25vw - 1.5rem), (min-width: 720px) calc(33.3vw - 1.7rem), calc(50vw - 1.5rem)',
  line: '5rem',
  hero: '(min-width: 1160px) 561px, (min-width: 820px) calc(52.4vw - 2.9rem), calc(100vw - 2rem)',
  thumbnail: '5rem',
} as const;

export type ImageBox = keyof typeof IMAGE_SIZES;

/**
 * A `srcset` from image URLs asked at several widths of the ladder. The `w` of each is the width
 * the URL serves (its file name, `…/640.webp`): an original narrower than a step is served at its
 * own width, so two widths asked may be one URL, listed once.
 */
export function srcSetOf(urls: readonly string[]): string {
  const byWidth = new Map<number, string>();
  for (const url of urls) {
    const width = Number(/\/(\d+)\.\w+$/.exec(new URL(url).pathname)?.[1]);
    if (width > 0 && !byWidth.has(width)) byWidth.set(width, url);
  }
  return [...byWidth]
    .sort(([a], [b]) => a - b)
    .map(([width, url]) => `${url} ${width}w`)
    .join(', ');
}

interface ResponsiveImageProps {
  image: { altText: string; width: number; height: number };
  /** The image's URLs at the widths its box may need, narrowest first. */
  urls: readonly string[];
  box: ImageBox;
  /** Eager only above the fold (a page's large picture, a catalogue's first row): the rest wait until scrolled near. */
  loading?: 'lazy' | 'eager';
  className?: string;
}

/**
 * An `<img>` the browser picks a width for. `width` and `height` are the original's, so the box
 * has the picture's proportions before a byte arrives and nothing below it moves when it does.
 */
export function ResponsiveImage({ image, urls, box, loading = 'lazy', className }: ResponsiveImageProps) {
  return (
    <img
      className={`product-image product-image--${box}${className ? ` ${className}` : ''}`}
      src={urls[Math.min(1, urls.length - 1)]}
      srcSet={srcSetOf(urls)}
      sizes={IMAGE_SIZES[box]}
      width={image.width}
      height={image.height}
      alt={image.altText}
      loading={loading}
      decoding="async"
      {...(box === 'hero' && { fetchPriority: 'high' as const })}
    />
  );
}

/** The neutral picture of a product without images, in the box a photo would fill. */
export function ImagePlaceholder({ name, box = 'card' }: { name: string; box?: ImageBox }) {
  return (
    <div className={`product-image product-image--${box} product-image--none`} role="img" aria-label={`${name} (no photo yet)`}>
      <svg viewBox="0 0 48 48" aria-hidden="true" focusable="false">
        <path d="M24 6c8 6 12 13 12 20a12 12 0 0 1-24 0c0-7 4-14 12-20Z" fill="currentColor" opacity="0.35" />
        <path d="M24 16v26" stroke="currentColor" strokeWidth="2" strokeLinecap="round" opacity="0.5" />
      </svg>
    </div>
  );
}

interface ProductImageProps {
  /** The product's featured image, or null when it has none. */
  image: FragmentType<typeof ProductImageSmallFragmentDoc> | null | undefined;
  name: string;
  box?: 'card' | 'line';
  loading?: 'lazy' | 'eager';
}

/** A product's featured image in a tile or a cart line, cropped to the tile's square; the placeholder when it has none. */
export function ProductImage({ image: masked, name, box = 'card', loading }: ProductImageProps) {
  const image = getFragmentData(ProductImageSmallFragmentDoc, masked);
  if (!image) return <ImagePlaceholder name={name} box={box} />;
  return <ResponsiveImage image={image} urls={[image.w160, image.w320, image.w640]} box={box} loading={loading} />;
}
