import { money } from '@greencart/platform';
import type { OrderResolvers } from '../generated/resolvers-types.js';

export const Order: OrderResolvers = {
  // number is set when a claim becomes an order; resolvers never see PLACING rows.
  number: (order) => order.number ?? '',
  customer: (order) => ({ __typename: 'Customer', id: order.customerId }),
  items: (order, _, ctx) => ctx.loaders.orderItemsByOrderId.load(order.id),
  subtotal: (order) => money(order.subtotalCents),
  total: (order) => money(order.totalCents),
  shippingAddress: (order) =>
    order.shippingLine1 && order.shippingCity && order.shippingPostalCode && order.shippingCountry
      ? { line1: order.shippingLine1, line2: order.shippingLine2, city: order.shippingCity, postalCode: order.shippingPostalCode, country: order.shippingCountry }
      : null,
  transactions: (order, _, ctx) => ctx.loaders.transactionsByOrderId.load(order.id),
  invoice: (order, _, ctx) => ctx.loaders.invoiceByOrderId.load(order.id),
};
