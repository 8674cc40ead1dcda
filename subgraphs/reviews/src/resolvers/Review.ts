import type { ReviewConnectionResolvers, ReviewResolvers } from '../generated/resolvers-types.js';

export const Review: ReviewResolvers = {
  __resolveReference: (reference, ctx) => ctx.loaders.reviewById.load(reference.id),
  product: (review) => ({ id: review.productId }),
  // Accounts resolves the name from the customer's id, which the API never shows.
  author: (review) => ({ id: review.customerId }),
};

export const ReviewConnection: ReviewConnectionResolvers = {
  nodes: (page) => page.edges.map((edge) => edge.node),
  // A product's count comes with its rating (one statement for a whole page of products).
  totalCount: async (page, _, ctx) => ('productId' in page.scope ? (await ctx.loaders.ratingByProductId.load(page.scope.productId)).count : ctx.reviews.count(page.scope)),
};
