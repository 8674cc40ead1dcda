import type { MutationResolvers } from '../generated/resolvers-types.js';

export const Mutation: MutationResolvers = {
  register: (_, { input }, ctx) => ctx.accounts.register(input),
  login: (_, { input }, ctx) => ctx.accounts.login(input),
};
