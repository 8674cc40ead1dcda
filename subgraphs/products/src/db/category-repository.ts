import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { isUuid, preparedPerExecutor } from '@greencart/platform';
import type { Executor } from './database.js';
import { categories, products, type CategoryRow } from './schema.js';

/** `Product.category` across a response: categories by id (prepared once, see preparedPerExecutor). */
const categoriesByIds = preparedPerExecutor((db: Executor) =>
  db
    .select()
    .from(categories)
    .where(sql`${categories.id} = any(${sql.placeholder('ids')}::uuid[])`)
    .prepare('categories_by_ids'),
);

/** Categories SQL, returning plain rows. */
export class CategoryRepository {
  constructor(private readonly db: Executor) {}

  async findByIds(ids: readonly string[]): Promise<CategoryRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return categoriesByIds(this.db).execute({ ids: valid });
  }

  async listAll(): Promise<CategoryRow[]> {
    return this.db.select().from(categories).orderBy(asc(categories.name), asc(categories.id));
  }

  async existsWithName(name: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: categories.id })
      .from(categories)
      .where(sql`lower(${categories.name}) = lower(${name})`);
    return row !== undefined;
  }

  async insert(name: string): Promise<CategoryRow> {
    const [row] = await this.db.insert(categories).values({ name }).returning();
    return row!;
  }

  /** Active product counts for each category, in one statement (categories with none are absent). */
  async activeProductCounts(categoryIds: readonly string[]): Promise<Array<{ categoryId: string; count: number }>> {
    const valid = categoryIds.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db
      .select({ categoryId: products.categoryId, count: sql<number>`count(*)::int` })
      .from(products)
      .where(and(inArray(products.categoryId, valid), eq(products.status, 'ACTIVE')))
      .groupBy(products.categoryId);
  }
}
