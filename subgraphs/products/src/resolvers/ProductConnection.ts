import type { ProductConnectionResolvers } from '../generated/resolvers-types.js';

export const ProductConnection: ProductConnectionResolvers = {
  nodes: (page) => page.edges.map((edge) => edge.node),
  // Counted only when asked for: it is a second statement over every match.
  totalCount: (page, _, ctx) => ctx.catalogue.countProducts(page.filter),
};
