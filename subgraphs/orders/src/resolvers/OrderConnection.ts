import type { OrderConnectionResolvers } from '../generated/resolvers-types.js';

export const OrderConnection: OrderConnectionResolvers = {
  nodes: (page) => page.edges.map((edge) => edge.node),
  // Counted only when asked for: it is a second statement over every match.
  totalCount: (page, _, ctx) => ctx.orders.count(page.scope),
};
