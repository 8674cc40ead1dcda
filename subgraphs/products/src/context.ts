import { authenticate, createLogger, type AuthenticatedUser, type ChangeSource, type IncomingGraphQLRequest, type ServiceName, type UserTokenVerifier } from '@greencart/platform';
import type { ProductsDatabase } from './db/database.js';
import { createLoaders, type ProductsLoaders } from './loaders.js';
import { CatalogueService } from './services/catalogue-service.js';
import { DEFAULT_IMAGE_SETTINGS, ImageVariants, ProductImageService } from './services/product-image-service.js';
import { StockService } from './services/stock-service.js';

/** What every products resolver gets for one request. */
export interface ProductsContext {
  /** The signed-in customer or admin; undefined when anonymous. */
  user: AuthenticatedUser | undefined;
  /** The GreenCart service that sent the request. */
  caller: ServiceName | undefined;
  loaders: ProductsLoaders;
  catalogue: CatalogueService;
  /** Product images' uploads and changes. */
  images: ProductImageService;
  /** This process's image sizes and URLs. */
  imageVariants: ImageVariants;
  /** Stock reservations, for the orders service only. */
  stock: StockService;
  /** This process's change feed of products, for `productUpdated`. */
  productChanges: ChangeSource;
}

export function createContextFactory(deps: { database: ProductsDatabase; verifier: UserTokenVerifier; productChanges: ChangeSource; imageVariants?: ImageVariants }) {
  // One per process (startProductsService passes its own); the default serves a products schema run without HTTP routes.
  const imageVariants = deps.imageVariants ?? new ImageVariants(deps.database.db, DEFAULT_IMAGE_SETTINGS, createLogger('products', 'silent'));
  return async (request: IncomingGraphQLRequest): Promise<ProductsContext> => ({
    user: await authenticate(deps.verifier, request.headers.authorization),
    caller: request.caller,
    loaders: createLoaders(deps.database.db),
    catalogue: new CatalogueService(deps.database.db),
    images: new ProductImageService(deps.database.db, imageVariants),
    imageVariants,
    stock: new StockService(deps.database.db),
    productChanges: deps.productChanges,
  });
}
