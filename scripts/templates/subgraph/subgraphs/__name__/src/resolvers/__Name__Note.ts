import type { __Name__NoteResolvers } from '../generated/resolvers-types.js';

export const __Name__Note: __Name__NoteResolvers = {
  __resolveReference: (reference, ctx) => ctx.loaders.noteById.load(reference.id),
};
