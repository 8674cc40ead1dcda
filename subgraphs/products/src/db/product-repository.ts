import { and, asc, desc, eq, gt, ilike, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { isUuid, preparedPerExecutor } from '@greencart/platform';
import type { Executor } from './database.js';
import { categories, productRecommendations, products, type CategoryRow, type ProductRow } from './schema.js';

// Products by id, the hottest read (`_entities`), prepared once (see preparedPerExecutor); with
// their categories, joined, for the loaders: `Product.category` then costs no statement of its own.
const productsByIds = preparedPerExecutor((db: Executor) =>
  db
    .select()
    .from(products)
    .where(sql`${products.id} = any(${sql.placeholder('ids')}::uuid[])`)
    .prepare('products_by_ids'),
);
const productsWithCategoriesByIds = preparedPerExecutor((db: Executor) =>
  db
    .select({ product: products, category: categories })
    .from(products)
    .innerJoin(categories, eq(categories.id, products.categoryId))
    .where(sql`${products.id} = any(${sql.placeholder('ids')}::uuid[])`)
    .prepare('products_with_categories_by_ids'),
);

export type ProductSortKey = 'NAME' | 'PRICE' | 'CREATED_AT';

export interface ProductListFilter {
  categoryId?: string;
  search?: string;
  inStock?: boolean;
  minPriceCents?: number;
  maxPriceCents?: number;
}

/** Where a page starts: after the row with this sort value and id. */
export interface ProductKeyset {
  value: string | number;
  id: string;
}

export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  stock: number;
  categoryId: string;
}

export type ProductChanges = Partial<Pick<NewProduct, 'name' | 'description' | 'priceCents' | 'categoryId'>>;

const sortColumns = { NAME: products.name, PRICE: products.priceCents, CREATED_AT: products.createdAt } as const;

/** Escapes LIKE wildcards so that a search for "50%" matches the text "50%". */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** SKUs compared as their unique index `products_sku_lower_key` compares them, so it is used. */
function sameSku(sku: string): SQL {
  return sql`lower(${products.sku}) = lower(${sku})`;
}

/** Products SQL. Every method returns plain rows; ids that are not UUIDs simply match nothing. */
export class ProductRepository {
  constructor(private readonly db: Executor) {}

  /** Products with these ids, archived ones included (orders that hold them must still show them). */
  async findByIds(ids: readonly string[]): Promise<ProductRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return productsByIds(this.db).execute({ ids: valid });
  }

  /** Products by id, each with its category (every product has one). */
  async findByIdsWithCategories(ids: readonly string[]): Promise<Array<{ product: ProductRow; category: CategoryRow }>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return productsWithCategoriesByIds(this.db).execute({ ids: valid });
  }

  /** The active product with this SKU, in any letter case (SKUs are unique regardless of case). */
  async findActiveBySku(sku: string): Promise<ProductRow | undefined> {
    const [row] = await this.db
      .select()
      .from(products)
      .where(and(sameSku(sku), eq(products.status, 'ACTIVE')));
    return row;
  }

  /** Whether any product, archived ones included, has this SKU in any letter case. */
  async existsWithSku(sku: string): Promise<boolean> {
    const [row] = await this.db.select({ id: products.id }).from(products).where(sameSku(sku));
    return row !== undefined;
  }

  /**
   * One page of active products in the requested order, each with its category (joined: a page
   * showing categories costs no second statement); fetch `limit + 1` to learn if more follow.
   */
  async listActive(options: {
    filter: ProductListFilter;
    sortKey: ProductSortKey;
    reverse: boolean;
    after?: ProductKeyset;
    limit: number;
  }): Promise<Array<{ product: ProductRow; category: CategoryRow }>> {
    if (options.limit === 0) return [];
    const column = sortColumns[options.sortKey];
    const conditions = this.filterConditions(options.filter);
    if (options.after) {
      const value = options.sortKey === 'CREATED_AT' ? new Date(options.after.value) : options.after.value;
      const compare = options.reverse ? lt : gt;
      conditions.push(or(compare(column, value), and(eq(column, value), compare(products.id, options.after.id))) as SQL);
    }
    const order = options.reverse ? desc : asc;
    return this.db
      .select({ product: products, category: categories })
      .from(products)
      .innerJoin(categories, eq(categories.id, products.categoryId))
      .where(and(...conditions))
      .orderBy(order(column), order(products.id))
      .limit(options.limit);
  }

  async countActive(filter: ProductListFilter): Promise<number> {
    const [row] = await this.db
      .select({ count: sql<number>`count(*)::int` })
      .from(products)
      .where(and(...this.filterConditions(filter)));
    return row?.count ?? 0;
  }

  private filterConditions(filter: ProductListFilter): SQL[] {
    const conditions: SQL[] = [eq(products.status, 'ACTIVE')];
    if (filter.categoryId !== undefined) {
      conditions.push(isUuid(filter.categoryId) ? eq(products.categoryId, filter.categoryId) : sql`false`);
    }
    if (filter.search) {
      const pattern = containing(filter.search);
      conditions.push(or(ilike(products.name, pattern), ilike(products.sku, pattern), ilike(products.description, pattern)) as SQL);
    }
    if (filter.inStock !== undefined) conditions.push(filter.inStock ? gt(products.stock, 0) : eq(products.stock, 0));
    if (filter.minPriceCents !== undefined) conditions.push(sql`${products.priceCents} >= ${filter.minPriceCents}`);
    if (filter.maxPriceCents !== undefined) conditions.push(sql`${products.priceCents} <= ${filter.maxPriceCents}`);
    return conditions;
  }

  async insert(product: NewProduct): Promise<ProductRow> {
    const [row] = await this.db.insert(products).values(product).returning();
    return row!;
  }

  async update(id: string, changes: ProductChanges): Promise<ProductRow | undefined> {
    const [row] = await this.db
      .update(products)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(and(eq(products.id, id), eq(products.status, 'ACTIVE')))
      .returning();
    return row;
  }

  async setStock(id: string, stock: number): Promise<ProductRow | undefined> {
    const [row] = await this.db
      .update(products)
      .set({ stock, updatedAt: sql`now()` })
      .where(and(eq(products.id, id), eq(products.status, 'ACTIVE')))
      .returning();
    return row;
  }

  /** Archives an active product; undefined when there is no such active product. */
  async archive(id: string): Promise<ProductRow | undefined> {
    const [row] = await this.db
      .update(products)
      .set({ status: 'ARCHIVED', archivedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(products.id, id), eq(products.status, 'ACTIVE')))
      .returning();
    return row;
  }

  /** Active recommended products for each of the given products, in one statement. */
  async activeRecommendationsFor(productIds: readonly string[]): Promise<Array<{ forProductId: string; product: ProductRow }>> {
    const valid = productIds.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db
      .select({ forProductId: productRecommendations.productId, product: products })
      .from(productRecommendations)
      .innerJoin(products, eq(products.id, productRecommendations.recommendedProductId))
      .where(and(inArray(productRecommendations.productId, valid), eq(products.status, 'ACTIVE')))
      .orderBy(asc(products.name), asc(products.id));
  }

  async addRecommendation(productId: string, recommendedProductId: string): Promise<void> {
    await this.db.insert(productRecommendations).values({ productId, recommendedProductId }).onConflictDoNothing();
  }

  async removeRecommendation(productId: string, recommendedProductId: string): Promise<void> {
    await this.db.delete(productRecommendations).where(and(eq(productRecommendations.productId, productId), eq(productRecommendations.recommendedProductId, recommendedProductId)));
  }
}
