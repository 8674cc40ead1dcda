import type { ProductResolvers } from '../generated/resolvers-types.js';

export const Product: ProductResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  reviews: (product, args, ctx) => ctx.reviews.list({ productId: product.id }, args),
  rating: (product, _, ctx) => ctx.loaders.ratingByProductId.load(product.id),
};
