import { maySeeCustomer } from '../context.js';
import type { CustomerResolvers } from '../generated/resolvers-types.js';

export const Customer: CustomerResolvers = {
  // References are checked like any other read: only the customer themself or an admin.
  __resolveReference: (reference, ctx) => (maySeeCustomer(ctx, reference.id) ? ctx.loaders.customerById.load(reference.id) : null),
  addresses: (customer, _, ctx) => ctx.loaders.addressesByCustomerId.load(customer.id),
  paymentMethods: (customer, _, ctx) => ctx.loaders.paymentMethodsByCustomerId.load(customer.id),
};
