import { scalarResolvers } from '@greencart/platform';
import type { Resolvers } from '../generated/resolvers-types.js';
import { Address } from './Address.js';
import { Customer } from './Customer.js';
import { Mutation } from './Mutation.js';
import { PaymentMethod } from './PaymentMethod.js';
import { Query } from './Query.js';
import { ReviewAuthor } from './ReviewAuthor.js';

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  EmailAddress: scalarResolvers.EmailAddress,
  Query,
  Mutation,
  Customer,
  Address,
  PaymentMethod,
  ReviewAuthor,
};
