import type { ProductResolvers } from '../generated/resolvers-types.js';

export const Product: ProductResolvers = {
  // Orders keeps no product data: a reference is its key, and the fields below read the pair counts.
  __resolveReference: (reference) => ({ __typename: 'Product', id: reference.id }),
  boughtTogether: async (product, { first }, ctx) => {
    await ctx.faults?.at('beforeBoughtTogether');
    return ctx.boughtTogether.ofProduct(product.id, first);
  },
};
