import { requireUser } from '@greencart/platform';
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  cart: (_, __, ctx) => ctx.carts.getCart(requireUser(ctx.user).id),
};
