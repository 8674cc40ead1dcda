import { buildSubgraphSchemaFromFile, startGraphQLService, type Logger, type RunningService, type ServiceCredentials, type UserTokenVerifier } from '@greencart/platform';
import { createContextFactory, type ProductsContext } from './context.js';
import type { ProductsDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';

export interface ProductsDependencies {
  database: ProductsDatabase;
  verifier: UserTokenVerifier;
  credentials: ServiceCredentials;
  logger: Logger;
  production: boolean;
}

/** Starts the products subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startProductsService(deps: ProductsDependencies, listen: { port: number; host: string }): Promise<RunningService> {
  return startGraphQLService<ProductsContext>(
    {
      name: 'products',
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

export { prepareProductsDatabase } from './db/database.js';
export { seedDemoCatalogue } from './seed/demo-catalogue.js';
