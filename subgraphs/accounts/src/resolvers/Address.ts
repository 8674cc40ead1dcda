import type { AddressResolvers } from '../generated/resolvers-types.js';

export const Address: AddressResolvers = {
  // Only the owner's own address resolves: orders asks with the customer's token when it copies one.
  __resolveReference: async (reference, ctx) => {
    const address = await ctx.loaders.addressById.load(reference.id);
    return address && ctx.user?.id === address.customerId ? address : null;
  },
};
