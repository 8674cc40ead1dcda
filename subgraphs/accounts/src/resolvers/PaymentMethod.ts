import { forbidden, mayCall } from '@greencart/platform';
import { maySeeCustomer } from '../context.js';
import type { PaymentMethodResolvers } from '../generated/resolvers-types.js';

export const PaymentMethod: PaymentMethodResolvers = {
  // A payment method resolves for its owner and for admins only; for anyone else it does not exist.
  __resolveReference: async (reference, ctx) => {
    const method = await ctx.loaders.paymentMethodById.load(reference.id);
    return method && maySeeCustomer(ctx, method.customerId) ? method : null;
  },
  // The token charges the card: only the orders service, paying an order, may read it.
  processorToken: (method, _, ctx) => {
    if (!mayCall(ctx.caller, 'accounts', 'processorToken')) throw forbidden('Only the orders service may read a processor token.');
    return method.processorToken;
  },
  active: (method) => method.removedAt === null,
};
