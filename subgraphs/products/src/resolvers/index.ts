import { DecimalScalar, scalarResolvers } from '@greencart/platform';
import type { Resolvers } from '../generated/resolvers-types.js';
import { Category } from './Category.js';
import { Mutation } from './Mutation.js';
import { Product } from './Product.js';
import { ProductConnection } from './ProductConnection.js';
import { ProductImage } from './ProductImage.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: scalarResolvers.DateTime,
  Query,
  Mutation,
  Subscription,
  Product,
  Category,
  ProductConnection,
  ProductImage,
};
