import { badUserInput } from '@greencart/platform';
import type { ProductImageResolvers } from '../generated/resolvers-types.js';
import { servedFormat } from '../services/product-image-service.js';

export const ProductImage: ProductImageResolvers = {
  url: (image, { width, format }, ctx) => {
    if (width != null && width < 1) throw badUserInput('width must be at least 1 (pixels).', 'width');
    return ctx.imageVariants.url(image, width, servedFormat(format));
  },
};
