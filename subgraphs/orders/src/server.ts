import { buildSubgraphSchemaFromFile, startGraphQLService, type Logger, type RunningService, type ServiceCredentials, type SubgraphClient, type UserTokenVerifier } from '@greencart/platform';
import { createContextFactory, type OrdersContext } from './context.js';
import type { OrdersDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';

export interface OrdersDependencies {
  database: OrdersDatabase;
  verifier: UserTokenVerifier;
  credentials: ServiceCredentials;
  /** The products subgraph, called directly with service credentials. */
  products: SubgraphClient;
  logger: Logger;
  production: boolean;
}

/** Starts the orders subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startOrdersService(deps: OrdersDependencies, listen: { port: number; host: string }): Promise<RunningService> {
  return startGraphQLService<OrdersContext>(
    {
      name: 'orders',
      schema: buildSubgraphSchemaFromFile(new URL('../schema.graphql', import.meta.url), resolvers),
      context: createContextFactory(deps),
      production: deps.production,
      logger: deps.logger,
      requireServiceCredentials: deps.credentials,
      isReady: async () => (await deps.database.sql`select 1 as ok`).length === 1,
    },
    listen,
  );
}

export { prepareOrdersDatabase } from './db/database.js';
