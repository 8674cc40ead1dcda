import DataLoader from 'dataloader';
import { groupsByKey, rowsByKey } from '@greencart/platform';
import type { ProductsDb } from './db/database.js';
import { CategoryRepository } from './db/category-repository.js';
import { ProductRepository } from './db/product-repository.js';
import type { CategoryRow, ProductRow } from './db/schema.js';

/** Per-request loaders: each turns the N lookups of one GraphQL response into one statement. */
export function createLoaders(db: ProductsDb) {
  const products = new ProductRepository(db);
  const categories = new CategoryRepository(db);
  return {
    /** Products by id for `_entities` references from orders and the gateway (archived included). */
    productById: new DataLoader<string, ProductRow | null>(async (ids) => rowsByKey(ids, await products.findByIds(ids), (row) => row.id)),
    /** `Product.category` across a page of products. */
    categoryById: new DataLoader<string, CategoryRow | null>(async (ids) => rowsByKey(ids, await categories.findByIds(ids), (row) => row.id)),
    /** `Product.recommendations` across a page of products. */
    recommendationsByProductId: new DataLoader<string, ProductRow[]>(async (ids) =>
      groupsByKey(ids, await products.activeRecommendationsFor(ids), (row) => row.forProductId, (row) => row.product),
    ),
    /** `Category.productCount` across all categories. */
    activeProductCountByCategoryId: new DataLoader<string, number>(async (ids) => {
      const counts = new Map((await categories.activeProductCounts(ids)).map((row) => [row.categoryId, row.count]));
      return ids.map((id) => counts.get(id) ?? 0);
    }),
  };
}
export type ProductsLoaders = ReturnType<typeof createLoaders>;
