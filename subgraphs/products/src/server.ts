import { ChangeFeed, startSubgraph, type ListenAddress, type RunningService, type SubgraphDependencies } from '@greencart/platform';
import { createContextFactory, type ProductsContext } from './context.js';
import type { ProductsDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';
import { configureImageProcessing } from './images/image-processing.js';
import { imageRoutes } from './routes/image-routes.js';
import { DEFAULT_IMAGE_SETTINGS, ImageVariants, type ImageSettings } from './services/product-image-service.js';

export interface ProductsDependencies extends SubgraphDependencies {
  database: ProductsDatabase;
  /** Where image URLs point, upload limits, resizes at once (default: DEFAULT_IMAGE_SETTINGS). */
  images?: Partial<ImageSettings>;
}

/** The channel the products and product_images tables' triggers notify with a product's id (migrations 0003, 0004). */
export const PRODUCT_CHANGED_CHANNEL = 'greencart_product_changed';

/** Starts the products subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startProductsService(deps: ProductsDependencies, listen: ListenAddress): Promise<RunningService> {
  const schemaFile = new URL('../schema.graphql', import.meta.url);
  const changeFeed = new ChangeFeed({ sql: deps.database.sql, channel: PRODUCT_CHANGED_CHANNEL, typename: 'Product', logger: deps.logger });
  configureImageProcessing();
  const imageVariants = new ImageVariants(deps.database.db, { ...DEFAULT_IMAGE_SETTINGS, ...deps.images }, deps.logger);
  return startSubgraph<ProductsContext>(
    {
      name: 'products',
      schemaFile,
      resolvers,
      context: createContextFactory({ ...deps, productChanges: changeFeed, imageVariants }),
      routes: imageRoutes({ ...deps, variants: imageVariants }),
      changeFeed,
    },
    deps,
    listen,
  );
}

export { prepareProductsDatabase } from './db/database.js';
export { seedDemoCatalogue } from './seed/demo-catalogue.js';
export { readProductsEnvironment } from './env.js';
// The resolvers and context apart from the service, for a schema that runs them in process (the bench's monolith), and the stock service alone (the bench's M2 measures it without HTTP).
export { createContextFactory as createProductsContextFactory, type ProductsContext } from './context.js';
export { resolvers as productsResolvers } from './resolvers/index.js';
export { StockService } from './services/stock-service.js';
