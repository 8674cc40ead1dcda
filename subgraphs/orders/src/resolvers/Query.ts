import { forbidden, mayCall, requireUser } from '@greencart/platform';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { OrderService } from '../services/order-service.js';

export const Query: QueryResolvers = {
  cart: (_, __, ctx) => ctx.carts.getCart(requireUser(ctx.user).id),
  orders: (_, args, ctx) => ctx.orders.list(OrderService.scopeOf(requireUser(ctx.user)), args),
  order: async (_, { id }, ctx) => {
    const found = await ctx.orders.find(requireUser(ctx.user), id);
    if (!found) return null;
    // Order.items then costs no statement of its own.
    ctx.loaders.orderItemsByOrderId.prime(found.order.id, found.items);
    return found.order;
  },
  invoices: (_, args, ctx) => ctx.invoices.list(OrderService.scopeOf(requireUser(ctx.user)), args),
  invoice: (_, { id }, ctx) => ctx.invoices.find(requireUser(ctx.user), id),
  // Who bought what is asked by the reviews service only, proven by its service token.
  purchases: (_, { customerIds, productIds }, ctx) => {
    if (!mayCall(ctx.caller, 'orders', 'purchases')) throw forbidden('Only the reviews service may ask what customers bought.');
    return ctx.orders.purchasesOf(customerIds, productIds);
  },
};
