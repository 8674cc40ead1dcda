import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from './database.js';
import { transactions, type TransactionRow } from './schema.js';

export type NewTransaction = Omit<typeof transactions.$inferInsert, 'id' | 'createdAt'>;

/** Transactions SQL: every charge attempt and refund is recorded, succeeded or not. */
export class PaymentRepository {
  constructor(private readonly db: Executor) {}

  /** How many charges were attempted for the order: numbers each attempt's idempotency key. */
  async chargeAttempts(orderId: string): Promise<number> {
    const [row] = await this.db
      .select({ count: sql<number>`count(*)::int` })
      .from(transactions)
      .where(and(eq(transactions.orderId, orderId), eq(transactions.kind, 'CHARGE')));
    return row?.count ?? 0;
  }

  async record(transaction: NewTransaction): Promise<TransactionRow> {
    const [row] = await this.db.insert(transactions).values(transaction).returning();
    return row!;
  }

  /** The charge that paid the order, if any. */
  async successfulCharge(orderId: string): Promise<TransactionRow | undefined> {
    const [row] = await this.db
      .select()
      .from(transactions)
      .where(and(eq(transactions.orderId, orderId), eq(transactions.kind, 'CHARGE'), eq(transactions.status, 'SUCCEEDED')));
    return row;
  }
}
