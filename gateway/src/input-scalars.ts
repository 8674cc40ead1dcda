import type { GraphQLSchema } from 'graphql';
import { scalarResolvers } from '@greencart/platform';

/**
 * Gives the gateway's schema the subgraphs' own input checks for GreenCart's scalars. The
 * supergraph carries only their names, so the gateway would pass any value on (a JSON number as a
 * `Decimal`) for a subgraph to refuse; checked here, a bad value is the client's BAD_USER_INPUT
 * (a variable) or GRAPHQL_VALIDATION_FAILED (a literal) before any subgraph is asked. Output is
 * left alone: the subgraphs have serialised it already.
 */
export function checkScalarInputs(schema: GraphQLSchema): void {
  for (const [name, scalar] of Object.entries(scalarResolvers)) {
    const type = schema.getType(name);
    if (!type || !('parseLiteral' in type)) continue;
    type.parseValue = scalar.parseValue;
    type.parseLiteral = scalar.parseLiteral;
  }
}
