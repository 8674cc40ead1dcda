import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';

/**
 * The gateway's planner asks a subgraph for `_entities` with one representation per occurrence:
 * an order whose 20 lines hold 17 products sends 20. Sending each distinct representation once
 * and copying the answer back to every occurrence saves the subgraph the repeated work (and the
 * bytes both ways); the gateway merges the same answers as before.
 */
export interface DistinctRepresentations {
  /** The representations to send, each once. */
  distinct: unknown[];
  /** The subgraph's answer for the distinct ones, spread back over every original position. */
  expand(response: GatewayGraphQLResponse): GatewayGraphQLResponse;
}

/** undefined when there is nothing to fold (no `_entities` request, or no representation repeated). */
export function distinctRepresentations(representations: unknown): DistinctRepresentations | undefined {
  if (!Array.isArray(representations) || representations.length < 2) return undefined;
  const positionOf = new Map<string, number>();
  const distinct: unknown[] = [];
  // For each original position, the position of its representation among the distinct ones.
  const sentAs = representations.map((representation) => {
    // The planner builds every representation of a fetch from the same selection, in the same key order.
    const key = JSON.stringify(representation);
    let position = positionOf.get(key);
    if (position === undefined) {
      position = distinct.push(representation) - 1;
      positionOf.set(key, position);
    }
    return position;
  });
  if (distinct.length === representations.length) return undefined;

  return {
    distinct,
    expand(response) {
      const entities = (response.data as { _entities?: unknown } | null | undefined)?._entities;
      // An answer of the wrong shape is passed on as it is, for the gateway to refuse as it would.
      if (!Array.isArray(entities) || entities.length !== distinct.length) return response;
      const occurrences = distinct.map(() => [] as number[]);
      sentAs.forEach((position, original) => occurrences[position]!.push(original));
      return {
        ...response,
        // Each occurrence gets an object of its own: the gateway merges into what it is given.
        data: { ...response.data, _entities: sentAs.map((position, original) => (occurrences[position]![0] === original ? entities[position] : structuredClone(entities[position]))) },
        // An error about `_entities[i]` is about every occurrence of representation i.
        ...(response.errors && {
          errors: response.errors.flatMap((error) => {
            const [field, index, ...rest] = error.path ?? [];
            if (field !== '_entities' || typeof index !== 'number' || !occurrences[index]) return [error];
            return occurrences[index]!.map((original) => ({ ...error, path: [field, original, ...rest] }));
          }),
        }),
      };
    },
  };
}
