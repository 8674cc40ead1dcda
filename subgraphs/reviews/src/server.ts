import { ChangeFeed, startSubgraph, type ListenAddress, type RunningService, type SubgraphDependencies } from '@greencart/platform';
import { createContextFactory, type ReviewsContext, type ReviewsContextDependencies } from './context.js';
import type { ReviewsDatabase } from './db/database.js';
import { resolvers } from './resolvers/index.js';

export interface ReviewsDependencies extends SubgraphDependencies, ReviewsContextDependencies {
  database: ReviewsDatabase;
}

/**
 * The channel the reviews table's trigger notifies with the reviewed product's id (migration 0001):
 * its reviews and rating changed. The gateway's cache follows it; no subscription does.
 */
export const REVIEW_CHANGED_CHANNEL = 'greencart_review_changed';

/** Starts the reviews subgraph on `listen.port` (0: any free port). No side effects on import. */
export function startReviewsService(deps: ReviewsDependencies, listen: ListenAddress): Promise<RunningService> {
  const schemaFile = new URL('../schema.graphql', import.meta.url);
  const changeFeed = new ChangeFeed({ sql: deps.database.sql, channel: REVIEW_CHANGED_CHANNEL, typename: 'Product', logger: deps.logger });
  return startSubgraph<ReviewsContext>({ name: 'reviews', schemaFile, resolvers, context: createContextFactory(deps), changeFeed }, deps, listen);
}

export { prepareReviewsDatabase } from './db/database.js';
export { createCatalogueClient } from './clients/catalogue-client.js';
export { createPurchasesClient } from './clients/purchases-client.js';
export { seedDemoReviews } from './seed/demo-reviews.js';
// The resolvers and context apart from the service, for a schema that runs them in process (the bench's monolith).
export { createContextFactory as createReviewsContextFactory, type ReviewsContext } from './context.js';
export { resolvers as reviewsResolvers } from './resolvers/index.js';
