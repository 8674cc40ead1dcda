import { requireUser } from '@greencart/platform';
import type { AccountsContext } from '../context.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';

/** The signed-in customer's id, after dropping this request's cached views of their account. */
function changingAccountOf(ctx: AccountsContext): string {
  const { id } = requireUser(ctx.user);
  ctx.loaders.customerById.clear(id);
  ctx.loaders.addressesByCustomerId.clear(id);
  ctx.loaders.paymentMethodsByCustomerId.clear(id);
  return id;
}

export const Mutation: MutationResolvers = {
  register: (_, { input }, ctx) => ctx.accounts.register(input),
  login: (_, { input }, ctx) => ctx.accounts.login(input, ctx.clientAddress),
  updateProfile: async (_, { input }, ctx) => {
    const result = await ctx.accounts.updateProfile(changingAccountOf(ctx), input);
    return { customer: result.value, userErrors: result.userErrors };
  },
  addAddress: async (_, { input }, ctx) => {
    const result = await ctx.addressBook.add(changingAccountOf(ctx), input);
    return { address: result.value, userErrors: result.userErrors };
  },
  setDefaultAddress: async (_, { id }, ctx) => {
    const result = await ctx.addressBook.makeDefault(changingAccountOf(ctx), id);
    return { address: result.value, userErrors: result.userErrors };
  },
  removeAddress: async (_, { id }, ctx) => {
    const result = await ctx.addressBook.remove(changingAccountOf(ctx), id);
    return { removedId: result.value?.removedId ?? null, userErrors: result.userErrors };
  },
  addPaymentMethod: async (_, { input }, ctx) => {
    const result = await ctx.wallet.add(changingAccountOf(ctx), input);
    return { paymentMethod: result.value, userErrors: result.userErrors };
  },
  setDefaultPaymentMethod: async (_, { id }, ctx) => {
    const result = await ctx.wallet.makeDefault(changingAccountOf(ctx), id);
    return { paymentMethod: result.value, userErrors: result.userErrors };
  },
  removePaymentMethod: async (_, { id }, ctx) => {
    const result = await ctx.wallet.remove(changingAccountOf(ctx), id);
    return { removedId: result.value?.removedId ?? null, userErrors: result.userErrors };
  },
};
