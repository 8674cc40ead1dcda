import DataLoader from 'dataloader';
import { groupsByKey, rowsByKey } from '@greencart/platform';
import type { ReviewsDb } from './db/database.js';
import { ReviewRepository } from './db/review-repository.js';
import type { ReviewRow } from './db/schema.js';
import { ratingOf, type ProductRating } from './services/review-rules.js';

/** Per-request loaders: each turns the N lookups of one GraphQL response into one statement. */
export function createLoaders(db: ReviewsDb) {
  const reviews = new ReviewRepository(db);
  return {
    /** Reviews by id, for `_entities` references from the gateway. */
    reviewById: new DataLoader<string, ReviewRow | null>(async (ids) => rowsByKey(ids, await reviews.findByIds(ids), (row) => row.id)),
    /** Products' ratings: a page of 20 products with their ratings is one statement here. */
    ratingByProductId: new DataLoader<string, ProductRating>(async (productIds) => {
      const starCounts = groupsByKey(productIds, await reviews.starCounts(productIds), (row) => row.productId);
      return starCounts.map(ratingOf);
    }),
  };
}
export type ReviewsLoaders = ReturnType<typeof createLoaders>;
