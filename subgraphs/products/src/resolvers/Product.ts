import { money } from '@greencart/platform';
import type { ProductResolvers } from '../generated/resolvers-types.js';

export const Product: ProductResolvers = {
  __resolveReference: (reference, ctx) => ctx.loaders.productById.load(reference.id),
  price: (product) => money(product.priceCents),
  inStock: (product) => product.stock > 0,
  category: async (product, _, ctx) => {
    const category = await ctx.loaders.categoryById.load(product.categoryId);
    if (!category) throw new Error(`Product ${product.id} names missing category ${product.categoryId}`);
    return category;
  },
  recommendations: (product, _, ctx) => ctx.loaders.recommendationsByProductId.load(product.id),
  images: (product, _, ctx) => ctx.loaders.imagesByProductId.load(product.id),
  featuredImage: async (product, _, ctx) => (await ctx.loaders.imagesByProductId.load(product.id))[0] ?? null,
};
