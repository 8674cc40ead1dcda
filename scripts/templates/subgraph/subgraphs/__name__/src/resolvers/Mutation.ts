import { requireAdmin } from '@greencart/platform';
import type { MutationResolvers } from '../generated/resolvers-types.js';

export const Mutation: MutationResolvers = {
  add__Name__Note: async (_, { text }, ctx) => {
    requireAdmin(ctx.user);
    const result = await ctx.notes.addNote(text);
    return { note: result.value, userErrors: result.userErrors };
  },
};
