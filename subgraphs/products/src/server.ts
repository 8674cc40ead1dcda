import { ChangeFeed, startSubgraph, type ListenAddress, type RunningService, type SubgraphDependencies } from '@greencart/platform';
import { createContextFactory, type ProductsContext } from './context.js';
import type { ProductsDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';

export interface ProductsDependencies extends SubgraphDependencies {
  database: ProductsDatabase;
}

/** The channel the products table's triggers notify with a product's id (migration 0002). */
export const PRODUCT_CHANGED_CHANNEL = 'greencart_product_changed';

/** Starts the products subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startProductsService(deps: ProductsDependencies, listen: ListenAddress): Promise<RunningService> {
  const schemaFile = new URL('../schema.graphql', import.meta.url);
  const changeFeed = new ChangeFeed({ sql: deps.database.sql, channel: PRODUCT_CHANGED_CHANNEL, typename: 'Product', logger: deps.logger });
  return startSubgraph<ProductsContext>(
    { name: 'products', schemaFile, resolvers, context: createContextFactory({ ...deps, productChanges: changeFeed }), changeFeed },
    deps,
    listen,
  );
}

export { prepareProductsDatabase } from './db/database.js';
export { seedDemoCatalogue } from './seed/demo-catalogue.js';
