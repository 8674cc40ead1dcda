import type { ReviewAuthorResolvers } from '../generated/resolvers-types.js';
import { FORMER_CUSTOMER, publicName } from '../services/public-name.js';

export const ReviewAuthor: ReviewAuthorResolvers = {
  // Public, unlike a Customer reference: it tells nothing but the short name.
  __resolveReference: async (reference, ctx) => {
    const customer = await ctx.loaders.customerById.load(reference.id);
    return { id: reference.id, name: customer ? publicName(customer.name) : FORMER_CUSTOMER };
  },
};
