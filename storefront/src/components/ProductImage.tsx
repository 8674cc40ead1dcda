/**
 * A product's picture. The API has no image fields yet, so this draws a neutral placeholder of the
 * same fixed 4:3 box a photo will fill (the page never shifts when images arrive). When
 * `Product.featuredImage { url(width, format) width height altText }` lands, this is the one place
 * to change: take the image, render an <img> with a `srcset` over the width ladder, same box.
 */
export function ProductImage({ name, size = 'card' }: { name: string; size?: 'card' | 'hero' }) {
  return (
    <div className={`product-image product-image--${size}`} role="img" aria-label={`${name} (no photo yet)`}>
      <svg viewBox="0 0 48 48" aria-hidden="true" focusable="false">
        <path d="M24 6c8 6 12 13 12 20a12 12 0 0 1-24 0c0-7 4-14 12-20Z" fill="currentColor" opacity="0.35" />
        <path d="M24 16v26" stroke="currentColor" strokeWidth="2" strokeLinecap="round" opacity="0.5" />
      </svg>
    </div>
  );
}
