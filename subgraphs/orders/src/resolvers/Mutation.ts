import { requireAdmin, requireUser } from '@greencart/platform';
import type { OrdersContext } from '../context.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import type { CartResult } from '../services/cart-service.js';

/** The cart changed: its cached lines are stale for the rest of this request. */
function cartPayload(ctx: OrdersContext, result: CartResult): CartResult {
  if (result.cart) ctx.loaders.cartItemsByCartId.clear(result.cart.id);
  return result;
}

export const Mutation: MutationResolvers = {
  addToCart: async (_, { input }, ctx) => cartPayload(ctx, await ctx.carts.addToCart(requireUser(ctx.user).id, input)),
  updateCartItem: async (_, { input }, ctx) => cartPayload(ctx, await ctx.carts.updateCartItem(requireUser(ctx.user).id, input)),
  removeFromCart: async (_, { productId }, ctx) => cartPayload(ctx, await ctx.carts.removeFromCart(requireUser(ctx.user).id, productId)),
  placeOrder: async (_, { input }, ctx) => {
    const { id } = requireUser(ctx.user);
    const result = await ctx.placement.place(id, ctx.authorization ?? '', input);
    ctx.loaders.cartItemsByCartId.clearAll();
    return result;
  },
  payOrder: (_, { input }, ctx) => ctx.payments.pay(requireUser(ctx.user), ctx.authorization ?? '', input),
  cancelOrder: (_, { id }, ctx) => ctx.orders.cancel(requireUser(ctx.user), id),
  updateOrderStatus: (_, { id, status }, ctx) => {
    requireAdmin(ctx.user);
    return ctx.orders.updateStatus(id, status);
  },
};
