import { and, asc, desc, eq, inArray, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { isUuid, preparedPerExecutor, type TimeKeyset } from '@greencart/platform';
import type { Executor } from './database.js';
import { invoices, orderItems, orders, transactions, type InvoiceRow, type OrderItemRow, type OrderRow, type OrderStatus, type TransactionRow } from './schema.js';

export interface OrderClaim {
  customerId: string;
  idempotencyKey: string;
  requestFingerprint: string;
  stockReservationId: string;
}

export interface PlacedOrder {
  items: Array<{ productId: string; sku: string; name: string; quantity: number; unitPriceCents: number; lineTotalCents: number }>;
  subtotalCents: number;
  totalCents: number;
  shipping: { line1: string; line2: string | null; city: string; postalCode: string; country: string } | null;
}

// The reads on every order page, prepared once per database handle (see preparedPerExecutor).
const ordersByIds = preparedPerExecutor((db: Executor) =>
  db
    .select()
    .from(orders)
    .where(and(sql`${orders.id} = any(${sql.placeholder('ids')}::uuid[])`, ne(orders.status, 'PLACING')))
    .prepare('orders_by_ids'),
);
const orderWithItems = preparedPerExecutor((db: Executor) =>
  db
    .select({ order: orders, item: orderItems })
    .from(orders)
    .leftJoin(orderItems, eq(orderItems.orderId, orders.id))
    .where(and(eq(orders.id, sql.placeholder('id')), ne(orders.status, 'PLACING')))
    .orderBy(asc(orderItems.position))
    .prepare('order_with_items'),
);
const itemsOfOrders = preparedPerExecutor((db: Executor) =>
  db
    .select()
    .from(orderItems)
    .where(sql`${orderItems.orderId} = any(${sql.placeholder('orderIds')}::uuid[])`)
    .orderBy(asc(orderItems.orderId), asc(orderItems.position))
    .prepare('items_of_orders'),
);

/** Who is asking for a list: one customer's orders, or every order (admins). */
export type OrderScope = { customerId: string } | { everyone: true };

/** Orders SQL, returning plain rows. PLACING rows (claims in progress) are never listed or found for clients. */
export class OrderRepository {
  constructor(private readonly db: Executor) {}

  /** Claims the customer's idempotency key with a PLACING row; undefined when the key is taken. */
  async claim(claim: OrderClaim): Promise<OrderRow | undefined> {
    const [row] = await this.db
      .insert(orders)
      .values({ ...claim, status: 'PLACING' })
      .onConflictDoNothing({ target: [orders.customerId, orders.idempotencyKey] })
      .returning();
    return row;
  }

  async findByKey(customerId: string, idempotencyKey: string): Promise<OrderRow | undefined> {
    const [row] = await this.db
      .select()
      .from(orders)
      .where(and(eq(orders.customerId, customerId), eq(orders.idempotencyKey, idempotencyKey)));
    return row;
  }

  /** Turns a PLACING claim into a PENDING_PAYMENT order with its lines; undefined when the claim is gone. */
  async completePlacement(id: string, placed: PlacedOrder): Promise<OrderRow | undefined> {
    const [order] = await this.db
      .update(orders)
      .set({
        status: 'PENDING_PAYMENT',
        number: sql`'GC-' || nextval('order_number_seq')`,
        subtotalCents: placed.subtotalCents,
        totalCents: placed.totalCents,
        shippingLine1: placed.shipping?.line1,
        shippingLine2: placed.shipping?.line2,
        shippingCity: placed.shipping?.city,
        shippingPostalCode: placed.shipping?.postalCode,
        shippingCountry: placed.shipping?.country,
        createdAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(orders.id, id), eq(orders.status, 'PLACING')))
      .returning();
    if (!order) return undefined;
    await this.db.insert(orderItems).values(placed.items.map((item, position) => ({ ...item, position, orderId: id })));
    return order;
  }

  /** Deletes a PLACING claim (its stock was never taken, or has been given back); false when it was already gone. */
  async deleteClaim(id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(orders)
      .where(and(eq(orders.id, id), eq(orders.status, 'PLACING')))
      .returning({ id: orders.id });
    return deleted.length > 0;
  }

  /** Orders (not PLACING) by id. */
  async findByIds(ids: readonly string[]): Promise<OrderRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return ordersByIds(this.db).execute({ ids: valid });
  }

  /** An order (not PLACING) with its lines in order, in one statement; undefined when there is none. */
  async findWithItems(id: string): Promise<{ order: OrderRow; items: OrderItemRow[] } | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await orderWithItems(this.db).execute({ id });
    if (rows.length === 0) return undefined;
    return { order: rows[0]!.order, items: rows.flatMap((row) => (row.item ? [row.item] : [])) };
  }

  /** An order (not PLACING), locked until the transaction ends. */
  async lock(id: string): Promise<OrderRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db
      .select()
      .from(orders)
      .where(and(eq(orders.id, id), ne(orders.status, 'PLACING')))
      .for('update');
    return row;
  }

  async setStatus(id: string, status: Exclude<OrderStatus, 'PLACING'>): Promise<OrderRow> {
    const [row] = await this.db
      .update(orders)
      .set({ status, updatedAt: sql`now()` })
      .where(eq(orders.id, id))
      .returning();
    return row!;
  }

  async markStockReleased(id: string): Promise<void> {
    await this.db
      .update(orders)
      .set({ stockReleasedAt: sql`now()` })
      .where(eq(orders.id, id));
  }

  /** One page, newest first, after the (createdAt, id) of the previous page's last order. */
  async listPage(scope: OrderScope, after: TimeKeyset | undefined, limit: number): Promise<OrderRow[]> {
    if (limit === 0) return [];
    const conditions = this.scoped(scope);
    if (after) conditions.push(or(lt(orders.createdAt, after.at), and(eq(orders.createdAt, after.at), lt(orders.id, after.id))) as SQL);
    return this.db
      .select()
      .from(orders)
      .where(and(...conditions))
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(limit);
  }

  async count(scope: OrderScope): Promise<number> {
    const [row] = await this.db
      .select({ count: sql<number>`count(*)::int` })
      .from(orders)
      .where(and(...this.scoped(scope)));
    return row?.count ?? 0;
  }

  private scoped(scope: OrderScope): SQL[] {
    const conditions: SQL[] = [ne(orders.status, 'PLACING')];
    if ('customerId' in scope) conditions.push(eq(orders.customerId, scope.customerId));
    return conditions;
  }

  async itemsOf(orderIds: readonly string[]): Promise<OrderItemRow[]> {
    if (orderIds.length === 0) return [];
    return itemsOfOrders(this.db).execute({ orderIds: [...orderIds] });
  }

  async transactionsOf(orderIds: readonly string[]): Promise<TransactionRow[]> {
    if (orderIds.length === 0) return [];
    return this.db.select().from(transactions).where(inArray(transactions.orderId, orderIds)).orderBy(asc(transactions.createdAt), asc(transactions.id));
  }

  async invoicesOf(orderIds: readonly string[]): Promise<InvoiceRow[]> {
    if (orderIds.length === 0) return [];
    return this.db.select().from(invoices).where(inArray(invoices.orderId, orderIds));
  }

  /** PLACING claims older than this: their request died between claiming and completing. */
  async abandonedClaims(olderThanSeconds: number): Promise<OrderRow[]> {
    return this.db
      .select()
      .from(orders)
      .where(and(eq(orders.status, 'PLACING'), sql`${orders.createdAt} < now() - make_interval(secs => ${olderThanSeconds})`));
  }

  /** Cancelled orders whose stock is still to be given back. */
  async cancelledWithStockHeld(): Promise<OrderRow[]> {
    return this.db
      .select()
      .from(orders)
      .where(and(eq(orders.status, 'CANCELLED'), isNull(orders.stockReleasedAt)));
  }
}
