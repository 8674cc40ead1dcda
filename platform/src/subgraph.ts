import { readFileSync } from 'node:fs';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';

/**
 * Builds a federated subgraph schema from its `schema.graphql` and its codegen-typed resolvers
 * (whose precise types the subgraph library's looser map type cannot express).
 */
export function buildSubgraphSchemaFromFile(schemaFile: URL, resolvers: object): GraphQLSchema {
  const typeDefs = parse(readFileSync(schemaFile, 'utf8'));
  return buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
}
