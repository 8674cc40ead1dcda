import { and, eq, inArray, max, sql } from 'drizzle-orm';
import type { Executor } from './database.js';
import { orderItems, orders } from './schema.js';

/** A product a customer bought: a paid, shipped or delivered order holds it. */
export interface PurchaseRow {
  customerId: string;
  productId: string;
  delivered: boolean;
  lastOrderedAt: Date;
}

/** Orders that count as bought: paid for and not cancelled. */
const BOUGHT = ['PAID', 'SHIPPED', 'DELIVERED'] as const;

/** Purchases SQL: one statement per question, however many customers and products it names. */
export class PurchaseRepository {
  constructor(private readonly db: Executor) {}

  async purchasesOf(customerIds: readonly string[], productIds: readonly string[] | undefined): Promise<PurchaseRow[]> {
    if (customerIds.length === 0 || productIds?.length === 0) return [];
    return this.db
      .select({
        customerId: orders.customerId,
        productId: orderItems.productId,
        delivered: sql<boolean>`bool_or(${orders.status} = 'DELIVERED')`.mapWith(Boolean),
        lastOrderedAt: max(orders.createdAt).mapWith((value: string | Date) => new Date(value)),
      })
      .from(orders)
      .innerJoin(orderItems, eq(orderItems.orderId, orders.id))
      .where(and(inArray(orders.customerId, [...customerIds]), inArray(orders.status, [...BOUGHT]), productIds ? inArray(orderItems.productId, [...productIds]) : undefined))
      .groupBy(orders.customerId, orderItems.productId) as Promise<PurchaseRow[]>;
  }
}
