import { and, asc, gt, inArray, lte, notInArray, sql } from 'drizzle-orm';
import { isUuid } from '@greencart/platform';
import type { Executor } from './database.js';
import { productPairs } from './schema.js';

/** A product bought together with another, in rank order. */
export interface ProductPartner {
  productId: string;
  otherProductId: string;
}

/**
 * The co-occurrence counts behind "bought together". Writers touch the rows of an order's pairs in
 * one fixed order (product id, then other product id), so concurrent orders sharing pairs wait
 * for each other instead of deadlocking.
 */
export class ProductPairRepository {
  constructor(private readonly db: Executor) {}

  /** Counts a just-placed order (call in the transaction that places it): +1 for each pair of its distinct products, one statement. */
  async countOrder(productIds: readonly string[]): Promise<void> {
    const rows = orderedPairs(productIds).map(([productId, otherProductId]) => ({ productId, otherProductId, ordersCount: 1, lastOrderedAt: sql`now()` }));
    if (rows.length === 0) return;
    await this.db
      .insert(productPairs)
      .values(rows)
      .onConflictDoUpdate({
        target: [productPairs.productId, productPairs.otherProductId],
        set: { ordersCount: sql`${productPairs.ordersCount} + 1`, lastOrderedAt: sql`greatest(${productPairs.lastOrderedAt}, excluded.last_ordered_at)` },
      });
  }

  /**
   * Takes a just-cancelled order out of the counts (call in the transaction that cancels it, after
   * its status is CANCELLED): −1 for each pair, and where it was the pair's latest order, the
   * latest remaining one. A newer order counted meanwhile keeps its own time.
   */
  async uncountOrder(orderId: string, orderedAt: Date): Promise<void> {
    await this.db.execute(sql`
      insert into product_pairs (product_id, other_product_id, orders_count, last_ordered_at)
      select distinct a.product_id, b.product_id, 0, ${orderedAt.toISOString()}::timestamptz
      from order_items a
      join order_items b on b.order_id = a.order_id and b.product_id <> a.product_id
      where a.order_id = ${orderId}
      order by 1, 2
      on conflict (product_id, other_product_id) do update set
        orders_count = greatest(product_pairs.orders_count - 1, 0),
        last_ordered_at = case
          when product_pairs.last_ordered_at > excluded.last_ordered_at then product_pairs.last_ordered_at
          else coalesce((
            select max(o.created_at)
            from order_items x
            join order_items y on y.order_id = x.order_id and y.product_id = product_pairs.other_product_id
            join orders o on o.id = x.order_id
            where x.product_id = product_pairs.product_id and o.status not in ('PLACING', 'CANCELLED')
          ), product_pairs.last_ordered_at)
        end`);
  }

  /** Counts every placed, not cancelled order from nothing (the back-fill of migration 0004): for a table that is still empty. */
  async countAllOrders(): Promise<void> {
    await this.db.execute(sql`
      insert into product_pairs (product_id, other_product_id, orders_count, last_ordered_at)
      select a.product_id, b.product_id, count(distinct o.id)::integer, max(o.created_at)
      from orders o
      join order_items a on a.order_id = o.id
      join order_items b on b.order_id = o.id and b.product_id <> a.product_id
      where o.status not in ('PLACING', 'CANCELLED')
      group by a.product_id, b.product_id`);
  }

  /**
   * The top `limit` partners of each product (all of them without a limit), best first: most
   * orders, then the most recent, then by id for a stable order. One statement for any number of products.
   */
  async partnersOf(productIds: readonly string[], limit?: number): Promise<ProductPartner[]> {
    const ids = productIds.filter(isUuid);
    if (ids.length === 0) return [];
    const ranked = this.db
      .select({
        productId: productPairs.productId,
        otherProductId: productPairs.otherProductId,
        rank: sql<number>`row_number() over (partition by ${productPairs.productId} order by ${productPairs.ordersCount} desc, ${productPairs.lastOrderedAt} desc, ${productPairs.otherProductId})`.as(
          'rank',
        ),
      })
      .from(productPairs)
      .where(and(inArray(productPairs.productId, ids), gt(productPairs.ordersCount, 0)))
      .as('ranked');
    return this.db
      .select({ productId: ranked.productId, otherProductId: ranked.otherProductId })
      .from(ranked)
      .where(limit === undefined ? undefined : lte(ranked.rank, limit))
      .orderBy(asc(ranked.productId), asc(ranked.rank));
  }

  /** Products bought with any of `productIds` and not among them, ranked by their summed counts (then the most recent). */
  async partnersOfAll(productIds: readonly string[], limit?: number): Promise<string[]> {
    const ids = productIds.filter(isUuid);
    if (ids.length === 0) return [];
    const query = this.db
      .select({ otherProductId: productPairs.otherProductId })
      .from(productPairs)
      .where(and(inArray(productPairs.productId, ids), notInArray(productPairs.otherProductId, ids), gt(productPairs.ordersCount, 0)))
      .groupBy(productPairs.otherProductId)
      .orderBy(sql`sum(${productPairs.ordersCount}) desc`, sql`max(${productPairs.lastOrderedAt}) desc`, asc(productPairs.otherProductId))
      .$dynamic();
    const rows = await (limit === undefined ? query : query.limit(limit));
    return rows.map((row) => row.otherProductId);
  }
}

/** Both directions of every pair of distinct products, sorted: the lock order of every writer. */
function orderedPairs(productIds: readonly string[]): Array<[string, string]> {
  const distinct = [...new Set(productIds)].sort();
  return distinct.flatMap((a) => distinct.filter((b) => b !== a).map((b): [string, string] => [a, b]));
}
