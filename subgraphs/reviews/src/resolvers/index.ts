import { scalarResolvers } from '@greencart/platform';
import type { Resolvers } from '../generated/resolvers-types.js';
import { Customer } from './Customer.js';
import { Mutation } from './Mutation.js';
import { Product } from './Product.js';
import { Review, ReviewConnection } from './Review.js';

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Mutation,
  Product,
  Customer,
  Review,
  ReviewConnection,
};
