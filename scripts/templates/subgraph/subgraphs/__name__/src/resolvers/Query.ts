import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  __camelName__Notes: async (_, { first }, ctx) => {
    const notes = await ctx.notes.listNotes(first);
    for (const note of notes) ctx.loaders.noteById.prime(note.id, note);
    return notes;
  },
};
