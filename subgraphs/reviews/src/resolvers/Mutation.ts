import { requireUser } from '@greencart/platform';
import type { MutationResolvers } from '../generated/resolvers-types.js';

export const Mutation: MutationResolvers = {
  writeReview: async (_, { input }, ctx) => {
    const result = await ctx.reviews.write(requireUser(ctx.user), input);
    if (result.value) ctx.loaders.ratingByProductId.clear(result.value.productId);
    return { review: result.value, userErrors: result.userErrors };
  },
  deleteReview: async (_, { id }, ctx) => {
    const result = await ctx.reviews.delete(requireUser(ctx.user), id);
    return { deletedId: result.value?.id ?? null, userErrors: result.userErrors };
  },
};
