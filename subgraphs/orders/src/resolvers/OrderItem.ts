import { money } from '@greencart/platform';
import type { OrderItemResolvers } from '../generated/resolvers-types.js';

export const OrderItem: OrderItemResolvers = {
  unitPrice: (item) => money(item.unitPriceCents),
  lineTotal: (item) => money(item.lineTotalCents),
  product: (item) => ({ __typename: 'Product', id: item.productId }),
};
