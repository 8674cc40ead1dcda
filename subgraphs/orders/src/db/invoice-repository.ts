import { and, asc, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { isUuid, type TimeKeyset } from '@greencart/platform';
import type { Executor } from './database.js';
import type { OrderScope } from './order-repository.js';
import { invoiceLines, invoices, type InvoiceLineRow, type InvoiceRow, type OrderItemRow, type OrderRow } from './schema.js';

/** Any fixed number: the advisory lock that makes invoice numbers follow issue order. */
const INVOICE_NUMBERING_LOCK = 7_251_001;

/** An invoice's line, copied from its order's item. */
export function invoiceLineOf(invoiceId: string, item: Pick<OrderItemRow, 'position' | 'name' | 'sku' | 'quantity' | 'unitPriceCents' | 'lineTotalCents'>): typeof invoiceLines.$inferInsert {
  return {
    invoiceId,
    position: item.position,
    description: item.name,
    sku: item.sku,
    quantity: item.quantity,
    unitPriceCents: item.unitPriceCents,
    lineTotalCents: item.lineTotalCents,
  };
}

/** Invoices SQL. Invoices are inserted once and never updated. */
export class InvoiceRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Issues the order's invoice with its lines copied from the order's items. Numbering is
   * serialised by a transaction-scoped lock, so a later-issued invoice always has a higher number
   * and a strictly later `issuedAt`.
   */
  async issue(order: OrderRow, items: OrderItemRow[], billedTo: { name: string; email: string }): Promise<InvoiceRow> {
    await this.db.execute(sql`select pg_advisory_xact_lock(${INVOICE_NUMBERING_LOCK})`);
    const [invoice] = await this.db
      .insert(invoices)
      .values({
        orderId: order.id,
        customerId: order.customerId,
        number: sql`'INV-' || lpad(nextval('invoice_number_seq')::text, 6, '0')`,
        billedToName: billedTo.name,
        billedToEmail: billedTo.email,
        subtotalCents: order.subtotalCents,
        totalCents: order.totalCents,
        // Strictly after the last invoice (timestamps have millisecond precision), so issue order never ties.
        issuedAt: sql`greatest(clock_timestamp(), (select max(${invoices.issuedAt}) + interval '1 millisecond' from ${invoices}))`,
      })
      .returning();
    await this.db.insert(invoiceLines).values(items.map((item) => invoiceLineOf(invoice!.id, item)));
    return invoice!;
  }

  async findByIds(ids: readonly string[]): Promise<InvoiceRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select().from(invoices).where(inArray(invoices.id, valid));
  }

  async linesOf(invoiceIds: readonly string[]): Promise<InvoiceLineRow[]> {
    if (invoiceIds.length === 0) return [];
    return this.db.select().from(invoiceLines).where(inArray(invoiceLines.invoiceId, invoiceIds)).orderBy(asc(invoiceLines.invoiceId), asc(invoiceLines.position));
  }

  /** One page, newest first, after the (issuedAt, id) of the previous page's last invoice. */
  async listPage(scope: OrderScope, after: TimeKeyset | undefined, limit: number): Promise<InvoiceRow[]> {
    if (limit === 0) return [];
    const conditions = this.scoped(scope);
    if (after) conditions.push(or(lt(invoices.issuedAt, after.at), and(eq(invoices.issuedAt, after.at), lt(invoices.id, after.id))) as SQL);
    return this.db
      .select()
      .from(invoices)
      .where(and(...conditions))
      .orderBy(desc(invoices.issuedAt), desc(invoices.id))
      .limit(limit);
  }

  async count(scope: OrderScope): Promise<number> {
    const [row] = await this.db
      .select({ count: sql<number>`count(*)::int` })
      .from(invoices)
      .where(and(...this.scoped(scope)));
    return row?.count ?? 0;
  }

  private scoped(scope: OrderScope): SQL[] {
    return 'customerId' in scope ? [eq(invoices.customerId, scope.customerId)] : [sql`true`];
  }
}
