import { forbidden, requireUser } from '@greencart/platform';
import type { CustomerResolvers } from '../generated/resolvers-types.js';

export const Customer: CustomerResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  // A customer's list of reviews is theirs and the admins' to read (each review is public on its product).
  reviews: (customer, args, ctx) => {
    const user = requireUser(ctx.user);
    if (user.role !== 'ADMIN' && user.id !== customer.id) throw forbidden("Only the customer and admins can read a customer's reviews.");
    return ctx.reviews.list({ customerId: customer.id }, args);
  },
};
