import { eq, inArray, sql } from 'drizzle-orm';
import { isUuid } from '@greencart/platform';
import type { Executor } from './database.js';
import { customers, type CustomerRow } from './schema.js';

export interface NewCustomer {
  email: string;
  name: string;
  passwordHash: string;
  role?: CustomerRow['role'];
}

/** Customers SQL, returning plain rows. */
export class CustomerRepository {
  constructor(private readonly db: Executor) {}

  async findByIds(ids: readonly string[]): Promise<CustomerRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select().from(customers).where(inArray(customers.id, valid));
  }

  async findByEmail(email: string): Promise<CustomerRow | undefined> {
    const [row] = await this.db.select().from(customers).where(eq(customers.email, email));
    return row;
  }

  async insert(customer: NewCustomer): Promise<CustomerRow> {
    const [row] = await this.db.insert(customers).values(customer).returning();
    return row!;
  }

  /** Inserts unless the email is taken; returns nothing either way (used by the seed). */
  async insertIfEmailFree(customer: NewCustomer): Promise<void> {
    await this.db.insert(customers).values(customer).onConflictDoNothing({ target: customers.email });
  }

  /** The customer's row, locked until the transaction ends: changes to one customer's address book or wallet apply one at a time. */
  async lock(id: string): Promise<CustomerRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db.select().from(customers).where(eq(customers.id, id)).for('update');
    return row;
  }

  async updateProfile(id: string, changes: { name?: string; phone?: string | null }): Promise<CustomerRow | undefined> {
    const [row] = await this.db
      .update(customers)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(customers.id, id))
      .returning();
    return row;
  }
}
