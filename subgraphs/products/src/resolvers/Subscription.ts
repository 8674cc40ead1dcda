import { badUserInput, changesOf, type EntityChange } from '@greencart/platform';
import type { ProductsContext } from '../context.js';
import type { SubscriptionResolvers } from '../generated/resolvers-types.js';

/** The most products one `productUpdated` follows. */
export const MAX_FOLLOWED_PRODUCTS = 100;

// The gateway serves subscriptions itself, from the change feed at GET /events; these resolvers
// make the subgraph's own schema tell the truth when it is executed directly.
export const Subscription: SubscriptionResolvers = {
  productUpdated: {
    subscribe: (_, { ids }, ctx) => {
      if (ids.length === 0 || ids.length > MAX_FOLLOWED_PRODUCTS) {
        throw badUserInput(`Follow 1 to ${MAX_FOLLOWED_PRODUCTS} products.`, 'ids');
      }
      return changesOf(ctx.productChanges, ids);
    },
    resolve: async (change: EntityChange, _args: unknown, ctx: ProductsContext) => {
      // One subscription is one long request: read the product afresh for every event.
      const product = await ctx.loaders.productById.clear(change.id).load(change.id);
      if (!product) throw new Error(`Product ${change.id} changed but cannot be read`);
      return product;
    },
  },
};
