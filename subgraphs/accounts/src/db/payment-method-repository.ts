import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { isUuid } from '@greencart/platform';
import type { Executor } from './database.js';
import { paymentMethods, type PaymentMethodRow } from './schema.js';

export interface NewPaymentMethod {
  brand: PaymentMethodRow['brand'];
  last4: string;
  expMonth: number;
  expYear: number;
  processorToken: string;
}

/**
 * Payment methods SQL. Removed cards stay (payments that used them still show them) but are not
 * "active": the owner's lists and changes see only active ones, always scoped to their owner.
 */
export class PaymentMethodRepository {
  constructor(private readonly db: Executor) {}

  /** Active cards of several customers (the default first, then oldest first), in one statement. */
  async listActiveFor(customerIds: readonly string[]): Promise<PaymentMethodRow[]> {
    const valid = customerIds.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db
      .select()
      .from(paymentMethods)
      .where(and(inArray(paymentMethods.customerId, valid), isNull(paymentMethods.removedAt)))
      .orderBy(desc(paymentMethods.isDefault), asc(paymentMethods.createdAt), asc(paymentMethods.id));
  }

  /** Cards by id, removed ones included (for references from payments); callers check ownership. */
  async findByIds(ids: readonly string[]): Promise<PaymentMethodRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select().from(paymentMethods).where(inArray(paymentMethods.id, valid));
  }

  async hasActive(customerId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: paymentMethods.id })
      .from(paymentMethods)
      .where(and(eq(paymentMethods.customerId, customerId), isNull(paymentMethods.removedAt)));
    return row !== undefined;
  }

  async hasActiveDefault(customerId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: paymentMethods.id })
      .from(paymentMethods)
      .where(and(eq(paymentMethods.customerId, customerId), eq(paymentMethods.isDefault, true), isNull(paymentMethods.removedAt)));
    return row !== undefined;
  }

  async insert(customerId: string, method: NewPaymentMethod, isDefault: boolean): Promise<PaymentMethodRow> {
    const [row] = await this.db
      .insert(paymentMethods)
      .values({ customerId, ...method, isDefault })
      .returning();
    return row!;
  }

  async clearDefault(customerId: string): Promise<void> {
    await this.db
      .update(paymentMethods)
      .set({ isDefault: false })
      .where(and(eq(paymentMethods.customerId, customerId), eq(paymentMethods.isDefault, true)));
  }

  async makeDefault(customerId: string, id: string): Promise<PaymentMethodRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db
      .update(paymentMethods)
      .set({ isDefault: true })
      .where(and(eq(paymentMethods.id, id), eq(paymentMethods.customerId, customerId), isNull(paymentMethods.removedAt)))
      .returning();
    return row;
  }

  /** Marks an active card removed (and no longer the default); undefined when there is no such card. */
  async markRemoved(customerId: string, id: string): Promise<PaymentMethodRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db
      .update(paymentMethods)
      .set({ removedAt: sql`now()`, isDefault: false })
      .where(and(eq(paymentMethods.id, id), eq(paymentMethods.customerId, customerId), isNull(paymentMethods.removedAt)))
      .returning();
    return row;
  }

  async newestActive(customerId: string): Promise<PaymentMethodRow | undefined> {
    const [row] = await this.db
      .select()
      .from(paymentMethods)
      .where(and(eq(paymentMethods.customerId, customerId), isNull(paymentMethods.removedAt)))
      .orderBy(desc(paymentMethods.createdAt), desc(paymentMethods.id))
      .limit(1);
    return row;
  }
}
