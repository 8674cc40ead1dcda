import { and, asc, desc, eq, inArray, isNull } from 'drizzle-orm';
import { isUuid } from '@greencart/platform';
import type { Executor } from './database.js';
import { addresses, customers, paymentMethods, type AddressRow, type CustomerRow, type PaymentMethodRow } from './schema.js';

export interface NewCustomer {
  email: string;
  name: string;
  passwordHash: string;
  role?: CustomerRow['role'];
}

/** Customers, addresses and payment methods SQL, returning plain rows. */
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

  async addressesOf(customerIds: readonly string[]): Promise<AddressRow[]> {
    const valid = customerIds.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db
      .select()
      .from(addresses)
      .where(inArray(addresses.customerId, valid))
      .orderBy(desc(addresses.isDefault), asc(addresses.createdAt), asc(addresses.id));
  }

  /** Cards the customers have not removed. */
  async activePaymentMethodsOf(customerIds: readonly string[]): Promise<PaymentMethodRow[]> {
    const valid = customerIds.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db
      .select()
      .from(paymentMethods)
      .where(and(inArray(paymentMethods.customerId, valid), isNull(paymentMethods.removedAt)))
      .orderBy(desc(paymentMethods.isDefault), asc(paymentMethods.createdAt), asc(paymentMethods.id));
  }

  /** Payment methods by id, removed ones included (transactions that used them still show them). */
  async findPaymentMethodsByIds(ids: readonly string[]): Promise<PaymentMethodRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select().from(paymentMethods).where(inArray(paymentMethods.id, valid));
  }
}
