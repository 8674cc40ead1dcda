import { money } from '@greencart/platform';
import type { InvoiceLineResolvers } from '../generated/resolvers-types.js';

export const InvoiceLine: InvoiceLineResolvers = {
  unitPrice: (line) => money(line.unitPriceCents),
  lineTotal: (line) => money(line.lineTotalCents),
};
