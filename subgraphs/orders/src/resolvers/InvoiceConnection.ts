import type { InvoiceConnectionResolvers } from '../generated/resolvers-types.js';

export const InvoiceConnection: InvoiceConnectionResolvers = {
  nodes: (page) => page.edges.map((edge) => edge.node),
  totalCount: (page, _, ctx) => ctx.invoices.count(page.scope),
};
