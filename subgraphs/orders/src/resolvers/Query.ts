import { requireUser } from '@greencart/platform';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { OrderService } from '../services/order-service.js';

export const Query: QueryResolvers = {
  cart: (_, __, ctx) => ctx.carts.getCart(requireUser(ctx.user).id),
  orders: (_, args, ctx) => ctx.orders.list(OrderService.scopeOf(requireUser(ctx.user)), args),
  order: (_, { id }, ctx) => ctx.orders.find(requireUser(ctx.user), id),
  invoices: (_, args, ctx) => ctx.invoices.list(OrderService.scopeOf(requireUser(ctx.user)), args),
  invoice: (_, { id }, ctx) => ctx.invoices.find(requireUser(ctx.user), id),
};
