import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  products: async (_, args, ctx) => {
    const page = await ctx.catalogue.listProducts(args);
    for (const category of page.categories) ctx.loaders.categoryById.prime(category.id, category);
    return page;
  },
  product: (_, { id }, ctx) => ctx.catalogue.findActiveProduct(id),
  productBySku: (_, { sku }, ctx) => ctx.catalogue.findActiveProductBySku(sku),
  categories: async (_, __, ctx) => {
    const categories = await ctx.catalogue.listCategories();
    for (const category of categories) ctx.loaders.categoryById.prime(category.id, category);
    return categories;
  },
  category: (_, { id }, ctx) => ctx.loaders.categoryById.load(id),
};
