import { and, count, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { isUuid, type TimeKeyset } from '@greencart/platform';
import type { Executor } from './database.js';
import { reviews, type ReviewRow } from './schema.js';

/** Whose reviews a page lists. */
export type ReviewScope = { productId: string } | { customerId: string };

/** How many reviews of a product gave a number of stars. */
export interface StarCountRow {
  productId: string;
  stars: number;
  count: number;
}

/** What a customer writes; the same customer writing for the same product again replaces it. */
export interface ReviewDraft {
  productId: string;
  customerId: string;
  rating: number;
  title: string;
  body: string;
}

/** Reviews SQL, returning plain rows. */
export class ReviewRepository {
  constructor(private readonly db: Executor) {}

  async findByIds(ids: readonly string[]): Promise<ReviewRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select().from(reviews).where(inArray(reviews.id, valid));
  }

  /** A page of a product's or a customer's reviews, newest first, after a keyset. */
  async listPage(scope: ReviewScope, after: TimeKeyset | undefined, limit: number): Promise<ReviewRow[]> {
    const conditions: SQL[] = [this.scoped(scope)];
    if (after) conditions.push(or(lt(reviews.createdAt, after.at), and(eq(reviews.createdAt, after.at), lt(reviews.id, after.id)))!);
    return this.db
      .select()
      .from(reviews)
      .where(and(...conditions))
      .orderBy(desc(reviews.createdAt), desc(reviews.id))
      .limit(limit);
  }

  async count(scope: ReviewScope): Promise<number> {
    const [row] = await this.db.select({ count: count() }).from(reviews).where(this.scoped(scope));
    return row?.count ?? 0;
  }

  /** The star counts of many products at once: one statement, whatever the number of products. */
  async starCounts(productIds: readonly string[]): Promise<StarCountRow[]> {
    const valid = productIds.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select({ productId: reviews.productId, stars: reviews.rating, count: count() }).from(reviews).where(inArray(reviews.productId, valid)).groupBy(reviews.productId, reviews.rating);
  }

  /**
   * Writes the customer's review of the product, or replaces the one they wrote (same id and
   * createdAt, new updatedAt): one statement, so two writes at once leave one review, never two.
   */
  async upsert(draft: ReviewDraft): Promise<ReviewRow> {
    const [row] = await this.db
      .insert(reviews)
      .values(draft)
      .onConflictDoUpdate({
        target: [reviews.productId, reviews.customerId],
        set: { rating: draft.rating, title: draft.title, body: draft.body, updatedAt: sql`clock_timestamp()` },
      })
      .returning();
    return row!;
  }

  /** Deletes a review if it is the customer's (any review when customerId is undefined: an admin). */
  async delete(id: string, customerId: string | undefined): Promise<ReviewRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db
      .delete(reviews)
      .where(and(eq(reviews.id, id), customerId === undefined ? undefined : eq(reviews.customerId, customerId)))
      .returning();
    return row;
  }

  private scoped(scope: ReviewScope): SQL {
    return 'productId' in scope ? eq(reviews.productId, scope.productId) : eq(reviews.customerId, scope.customerId);
  }
}
