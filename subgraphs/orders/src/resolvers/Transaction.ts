import { money } from '@greencart/platform';
import type { TransactionResolvers } from '../generated/resolvers-types.js';

export const Transaction: TransactionResolvers = {
  amount: (transaction) => money(transaction.amountCents),
  paymentMethod: (transaction) => (transaction.paymentMethodId ? { __typename: 'PaymentMethod', id: transaction.paymentMethodId } : null),
};
