import { startSubgraph, type ListenAddress, type RunningService, type SubgraphDependencies } from '@greencart/platform';
import { createContextFactory, type __Name__Context } from './context.js';
import type { __Name__Database } from './db/database.js';
import { resolvers } from './resolvers/index.js';

export interface __Name__Dependencies extends SubgraphDependencies {
  database: __Name__Database;
}

/** Starts the __name__ subgraph on `listen.port` (0: any free port). No side effects on import. */
export function start__Name__Service(deps: __Name__Dependencies, listen: ListenAddress): Promise<RunningService> {
  const schemaFile = new URL('../schema.graphql', import.meta.url);
  return startSubgraph<__Name__Context>({ name: '__name__', schemaFile, resolvers, context: createContextFactory(deps) }, deps, listen);
}

export { prepare__Name__Database } from './db/database.js';
