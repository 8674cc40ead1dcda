import { DecimalScalar } from '@greencart/platform';
import type { Resolvers } from '../generated/resolvers-types.js';
import { Cart } from './Cart.js';
import { CartItem } from './CartItem.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  Query,
  Mutation,
  Cart,
  CartItem,
};
