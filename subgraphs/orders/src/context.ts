import { authenticate, type AuthenticatedUser, type IncomingGraphQLRequest, type ServiceName, type SubgraphClient, type UserTokenVerifier } from '@greencart/platform';
import type { OrdersDatabase } from './db/database.js';
import { createLoaders, type OrdersLoaders } from './loaders.js';
import { CartService } from './services/cart-service.js';

/** What every orders resolver gets for one request. */
export interface OrdersContext {
  /** The signed-in customer or admin; undefined when anonymous. */
  user: AuthenticatedUser | undefined;
  /** The GreenCart service that sent the request. */
  caller: ServiceName | undefined;
  loaders: OrdersLoaders;
  carts: CartService;
}

export function createContextFactory(deps: { database: OrdersDatabase; verifier: UserTokenVerifier; products: SubgraphClient }) {
  return async (request: IncomingGraphQLRequest): Promise<OrdersContext> => {
    const loaders = createLoaders(deps.database.db, deps.products);
    return {
      user: await authenticate(deps.verifier, request.headers.authorization),
      caller: request.caller,
      loaders,
      carts: new CartService(deps.database.db, loaders.catalogueProductById),
    };
  };
}
