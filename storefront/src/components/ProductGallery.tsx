import { useState } from 'react';
import { getFragmentData, type FragmentType } from '../generated';
import { ProductGalleryFragmentDoc } from '../generated/graphql';
import { ImagePlaceholder, ResponsiveImage } from './ProductImage';

/**
 * A product page's pictures: the first large, and when there are more, a row of thumbnails, each a
 * button that shows its picture large. The large picture loads at once (it is the page's top); the
 * thumbnails are small.
 */
export function ProductGallery({ product: masked }: { product: FragmentType<typeof ProductGalleryFragmentDoc> }) {
  const { name, images } = getFragmentData(ProductGalleryFragmentDoc, masked);
  const [chosenId, setChosenId] = useState<string>();
  if (images.length === 0) return <ImagePlaceholder name={name} box="hero" />;
  // An image removed while the page is open (a live update) falls back to the first.
  const shown = images.find((image) => image.id === chosenId) ?? images[0]!;
  return (
    <div className="gallery">
      <ResponsiveImage key={shown.id} image={shown} urls={[shown.w320, shown.w640, shown.w960, shown.w1280]} box="hero" loading="eager" />
      {images.length > 1 && (
        <ul className="gallery__thumbnails" aria-label={`Pictures of ${name}`}>
          {images.map((image, index) => (
            <li key={image.id}>
              <button
                type="button"
                className="gallery__thumbnail"
                aria-pressed={image.id === shown.id}
                aria-label={`Picture ${index + 1} of ${images.length}: ${image.altText}`}
                onClick={() => setChosenId(image.id)}
              >
                <ResponsiveImage image={{ ...image, altText: '' }} urls={[image.w160, image.w320]} box="thumbnail" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
