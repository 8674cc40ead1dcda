import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  me: (_, __, ctx) => (ctx.user ? ctx.loaders.customerById.load(ctx.user.id) : null),
};
