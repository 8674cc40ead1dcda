import DataLoader from 'dataloader';
import { groupsByKey, rowsByKey } from '@greencart/platform';
import type { ProductsDb } from './db/database.js';
import { CategoryRepository } from './db/category-repository.js';
import { ProductImageRepository } from './db/product-image-repository.js';
import { ProductRepository } from './db/product-repository.js';
import type { CategoryRow, ProductImageRow, ProductRow } from './db/schema.js';

/** Per-request loaders: each turns the N lookups of one GraphQL response into one statement. */
export function createLoaders(db: ProductsDb) {
  const products = new ProductRepository(db);
  const categories = new CategoryRepository(db);
  /** `Product.category` across a page of products. */
  const categoryById = new DataLoader<string, CategoryRow | null>(async (ids) => rowsByKey(ids, await categories.findByIds(ids), (row) => row.id));
  return {
    /**
     * Products by id for `_entities` references from orders and the gateway (archived included),
     * fetched with their categories in the same statement: those are primed for `Product.category`.
     */
    productById: new DataLoader<string, ProductRow | null>(async (ids) => {
      const rows = await products.findByIdsWithCategories(ids);
      for (const { category } of rows) categoryById.prime(category.id, category);
      return rowsByKey(
        ids,
        rows.map((row) => row.product),
        (row) => row.id,
      );
    }),
    categoryById,
    /** `Product.recommendations` across a page of products. */
    recommendationsByProductId: new DataLoader<string, ProductRow[]>(async (ids) =>
      groupsByKey(
        ids,
        await products.activeRecommendationsFor(ids),
        (row) => row.forProductId,
        (row) => row.product,
      ),
    ),
    /** `Product.images` and `Product.featuredImage` across a page of products: one statement for all. */
    imagesByProductId: new DataLoader<string, ProductImageRow[]>(async (ids) =>
      groupsByKey(
        ids,
        await new ProductImageRepository(db).listForProducts(ids),
        (row) => row.productId,
        (row) => row,
      ),
    ),
    /** `Category.productCount` across all categories. */
    activeProductCountByCategoryId: new DataLoader<string, number>(async (ids) => {
      const counts = new Map((await categories.activeProductCounts(ids)).map((row) => [row.categoryId, row.count]));
      return ids.map((id) => counts.get(id) ?? 0);
    }),
  };
}
export type ProductsLoaders = ReturnType<typeof createLoaders>;
