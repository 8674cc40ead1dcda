import type { CategoryResolvers } from '../generated/resolvers-types.js';

export const Category: CategoryResolvers = {
  __resolveReference: (reference, ctx) => ctx.loaders.categoryById.load(reference.id),
  productCount: (category, _, ctx) => ctx.loaders.activeProductCountByCategoryId.load(category.id),
};
