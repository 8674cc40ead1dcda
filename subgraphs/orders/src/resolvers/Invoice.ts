import { money } from '@greencart/platform';
import type { InvoiceResolvers } from '../generated/resolvers-types.js';

export const Invoice: InvoiceResolvers = {
  order: async (invoice, _, ctx) => {
    const order = await ctx.loaders.orderById.load(invoice.orderId);
    if (!order) throw new Error(`Invoice ${invoice.id} names missing order ${invoice.orderId}`);
    return order;
  },
  billedTo: (invoice) => ({ name: invoice.billedToName, email: invoice.billedToEmail }),
  lines: (invoice, _, ctx) => ctx.loaders.invoiceLinesByInvoiceId.load(invoice.id),
  subtotal: (invoice) => money(invoice.subtotalCents),
  total: (invoice) => money(invoice.totalCents),
  printUrl: (invoice, _, ctx) => ctx.invoiceLinks.printUrl(invoice.id),
};
