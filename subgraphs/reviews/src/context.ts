import { authenticate, type AuthenticatedUser, type IncomingGraphQLRequest, type ServiceName, type UserTokenVerifier } from '@greencart/platform';
import type { CatalogueClient } from './clients/catalogue-client.js';
import type { PurchasesClient } from './clients/purchases-client.js';
import type { ReviewsDatabase } from './db/database.js';
import { createLoaders, type ReviewsLoaders } from './loaders.js';
import { ReviewService } from './services/review-service.js';

/** What every reviews resolver gets for one request. */
export interface ReviewsContext {
  /** The signed-in customer or admin; undefined when anonymous. */
  user: AuthenticatedUser | undefined;
  /** The GreenCart service that sent the request. */
  caller: ServiceName | undefined;
  loaders: ReviewsLoaders;
  reviews: ReviewService;
}

/** What the reviews subgraph works with, besides what every subgraph has (SubgraphDependencies). */
export interface ReviewsContextDependencies {
  database: ReviewsDatabase;
  verifier: UserTokenVerifier;
  /** The products subgraph: whether a product may be reviewed (it exists and is not archived). */
  catalogue: CatalogueClient;
  /** The orders subgraph: whether the customer bought it. */
  purchases: PurchasesClient;
}

export function createContextFactory(deps: ReviewsContextDependencies) {
  return async (request: IncomingGraphQLRequest): Promise<ReviewsContext> => ({
    user: await authenticate(deps.verifier, request.headers.authorization),
    caller: request.caller,
    loaders: createLoaders(deps.database.db),
    // Calls to products and orders carry this request's id, so their logs line up with ours.
    reviews: new ReviewService(deps.database.db, deps.catalogue.forRequest(request.requestId), deps.purchases.forRequest(request.requestId)),
  });
}
