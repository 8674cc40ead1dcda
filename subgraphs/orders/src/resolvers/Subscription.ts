import { changesOf, notFound, requireUser, type EntityChange } from '@greencart/platform';
import type { OrdersContext } from '../context.js';
import type { SubscriptionResolvers } from '../generated/resolvers-types.js';

// The gateway serves subscriptions itself, from the change feed at GET /events; these resolvers
// make the subgraph's own schema tell the truth when it is executed directly.
export const Subscription: SubscriptionResolvers = {
  orderUpdated: {
    subscribe: async (_, { id }, ctx) => {
      const user = requireUser(ctx.user);
      // Another customer's order is as unknown as a missing one: its existence is not told.
      if (!(await ctx.orders.find(user, id))) throw notFound('No such order.');
      return changesOf(ctx.orderChanges, [id]);
    },
    resolve: async (change: EntityChange, _args: unknown, ctx: OrdersContext) => {
      // One subscription is one long request: read the order and what it shows afresh for every event.
      ctx.loaders.transactionsByOrderId.clear(change.id);
      ctx.loaders.invoiceByOrderId.clear(change.id);
      const order = await ctx.loaders.orderById.clear(change.id).load(change.id);
      if (!order) throw new Error(`Order ${change.id} changed but cannot be read`);
      return order;
    },
  },
};
