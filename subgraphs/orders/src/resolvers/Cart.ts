import { money } from '@greencart/platform';
import type { CartResolvers } from '../generated/resolvers-types.js';
import { lineTotalCents } from './CartItem.js';

export const Cart: CartResolvers = {
  items: (cart, _, ctx) => ctx.loaders.cartItemsByCartId.load(cart.id),
  totalQuantity: async (cart, _, ctx) => (await ctx.loaders.cartItemsByCartId.load(cart.id)).reduce((sum, item) => sum + item.quantity, 0),
  subtotal: async (cart, _, ctx) => {
    const items = await ctx.loaders.cartItemsByCartId.load(cart.id);
    const totals = await Promise.all(items.map((item) => lineTotalCents(item, ctx)));
    return money(totals.reduce((sum, cents) => sum + cents, 0));
  },
  suggestions: async (cart, { first }, ctx) => {
    const items = await ctx.loaders.cartItemsByCartId.load(cart.id);
    return ctx.boughtTogether.forCart(
      items.map((item) => item.productId),
      first,
    );
  },
};
