import { money } from '@greencart/platform';
import type { OrdersContext } from '../context.js';
import type { CartItemRow } from '../db/schema.js';
import type { CartItemResolvers } from '../generated/resolvers-types.js';

/** A line's total at the product's current price (archived products keep their last price). */
export async function lineTotalCents(item: CartItemRow, ctx: OrdersContext): Promise<number> {
  const product = await ctx.loaders.catalogueProductById.load(item.productId);
  if (!product) throw new Error(`Cart line ${item.id} names product ${item.productId}, unknown to the catalogue`);
  return product.priceCents * item.quantity;
}

export const CartItem: CartItemResolvers = {
  product: (item) => ({ __typename: 'Product', id: item.productId }),
  lineTotal: async (item, _, ctx) => money(await lineTotalCents(item, ctx)),
};
