import { money } from '@greencart/platform';
import type { InvoiceResolvers } from '../generated/resolvers-types.js';

export const Invoice: InvoiceResolvers = {
  total: (invoice) => money(invoice.totalCents),
};
