import { startSubgraph, type RunningService, type SubgraphClient, type SubgraphDependencies } from '@greencart/platform';
import { createContextFactory, type OrdersContext } from './context.js';
import type { OrdersDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';

export interface OrdersDependencies extends SubgraphDependencies {
  database: OrdersDatabase;
  /** The products subgraph, called directly with service credentials. */
  products: SubgraphClient;
}

/** Starts the orders subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startOrdersService(deps: OrdersDependencies, listen: { port: number; host: string }): Promise<RunningService> {
  const schemaFile = new URL('../schema.graphql', import.meta.url);
  return startSubgraph<OrdersContext>({ name: 'orders', schemaFile, resolvers, context: createContextFactory(deps) }, deps, listen);
}

export { prepareOrdersDatabase } from './db/database.js';
