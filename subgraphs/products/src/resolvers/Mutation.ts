import { forbidden, mayCall, money, requireAdmin } from '@greencart/platform';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import type { ProductsContext } from '../context.js';
import type { Result } from '../services/catalogue-service.js';
import type { ProductRow } from '../db/schema.js';

/** Maps a service result to a `ProductPayload`, dropping cached rows the change made stale. */
function productPayload(ctx: ProductsContext, result: Result<ProductRow>) {
  if (result.value) {
    ctx.loaders.productById.clear(result.value.id).prime(result.value.id, result.value);
    ctx.loaders.recommendationsByProductId.clear(result.value.id);
  }
  return { product: result.value, userErrors: result.userErrors };
}

/** Stock moves only for orders, proven by its service token; the gateway (and so any client) may not. */
function requireOrdersService(ctx: ProductsContext): void {
  if (!mayCall(ctx.caller, 'products', 'stockOperations')) throw forbidden('Only the orders service may reserve or release stock.');
}

export const Mutation: MutationResolvers = {
  createCategory: async (_, { input }, ctx) => {
    requireAdmin(ctx.user);
    const result = await ctx.catalogue.createCategory(input);
    return { category: result.value, userErrors: result.userErrors };
  },
  createProduct: async (_, { input }, ctx) => {
    requireAdmin(ctx.user);
    return productPayload(ctx, await ctx.catalogue.createProduct(input));
  },
  updateProduct: async (_, { id, input }, ctx) => {
    requireAdmin(ctx.user);
    return productPayload(ctx, await ctx.catalogue.updateProduct(id, input));
  },
  deleteProduct: async (_, { id }, ctx) => {
    requireAdmin(ctx.user);
    const result = await ctx.catalogue.archiveProduct(id);
    return { deletedId: result.value?.id ?? null, userErrors: result.userErrors };
  },
  updateStock: async (_, { productId, stock }, ctx) => {
    requireAdmin(ctx.user);
    return productPayload(ctx, await ctx.catalogue.setStock(productId, stock));
  },
  addRecommendation: async (_, { productId, recommendedProductId }, ctx) => {
    requireAdmin(ctx.user);
    return productPayload(ctx, await ctx.catalogue.addRecommendation(productId, recommendedProductId));
  },
  removeRecommendation: async (_, { productId, recommendedProductId }, ctx) => {
    requireAdmin(ctx.user);
    return productPayload(ctx, await ctx.catalogue.removeRecommendation(productId, recommendedProductId));
  },
  createProductImageUpload: async (_, { input }, ctx) => {
    requireAdmin(ctx.user);
    const result = await ctx.images.createUpload(input);
    return { upload: result.value, userErrors: result.userErrors };
  },
  updateProductImage: async (_, { id, input }, ctx) => {
    requireAdmin(ctx.user);
    const result = await ctx.images.updateImage(id, input);
    if (result.value) ctx.loaders.imagesByProductId.clear(result.value.productId);
    return { image: result.value, product: result.value ? await ctx.loaders.productById.load(result.value.productId) : null, userErrors: result.userErrors };
  },
  removeProductImage: async (_, { id }, ctx) => {
    requireAdmin(ctx.user);
    const result = await ctx.images.removeImage(id);
    if (result.value) ctx.loaders.imagesByProductId.clear(result.value.productId);
    return { removedImageId: result.value?.id ?? null, product: result.value ? await ctx.loaders.productById.load(result.value.productId) : null, userErrors: result.userErrors };
  },
  reserveStock: async (_, { reservationId, lines }, ctx) => {
    requireOrdersService(ctx);
    const reservation = await ctx.stock.reserve(reservationId, lines);
    return {
      ...reservation,
      lines: reservation.lines.map(({ unitPriceCents, ...line }) => ({ ...line, unitPrice: money(unitPriceCents) })),
    };
  },
  releaseStock: async (_, { reservationId }, ctx) => {
    requireOrdersService(ctx);
    return ctx.stock.release(reservationId);
  },
};
