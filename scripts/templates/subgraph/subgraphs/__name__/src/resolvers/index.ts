import { scalarResolvers } from '@greencart/platform';
import type { Resolvers } from '../generated/resolvers-types.js';
import { __Name__Note } from './__Name__Note.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = {
  DateTime: scalarResolvers.DateTime,
  Query,
  Mutation,
  __Name__Note,
};
