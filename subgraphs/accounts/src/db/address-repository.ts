import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import { isUuid } from '@greencart/platform';
import type { ValidAddress } from '../services/profile-rules.js';
import type { Executor } from './database.js';
import { addresses, type AddressRow } from './schema.js';

/** Addresses SQL. Every lookup and change is scoped to its owner: another customer's address is not found. */
export class AddressRepository {
  constructor(private readonly db: Executor) {}

  /** The addresses of several customers (the default first, then oldest first), in one statement. */
  async listFor(customerIds: readonly string[]): Promise<AddressRow[]> {
    const valid = customerIds.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select().from(addresses).where(inArray(addresses.customerId, valid)).orderBy(desc(addresses.isDefault), asc(addresses.createdAt), asc(addresses.id));
  }

  /** Addresses by id, whoever owns them: callers check ownership. */
  async findByIds(ids: readonly string[]): Promise<AddressRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select().from(addresses).where(inArray(addresses.id, valid));
  }

  async hasDefault(customerId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: addresses.id })
      .from(addresses)
      .where(and(eq(addresses.customerId, customerId), eq(addresses.isDefault, true)));
    return row !== undefined;
  }

  async insert(customerId: string, address: ValidAddress, isDefault: boolean): Promise<AddressRow> {
    const [row] = await this.db
      .insert(addresses)
      .values({ customerId, ...address, isDefault })
      .returning();
    return row!;
  }

  async clearDefault(customerId: string): Promise<void> {
    await this.db
      .update(addresses)
      .set({ isDefault: false })
      .where(and(eq(addresses.customerId, customerId), eq(addresses.isDefault, true)));
  }

  async makeDefault(customerId: string, id: string): Promise<AddressRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db
      .update(addresses)
      .set({ isDefault: true })
      .where(and(eq(addresses.id, id), eq(addresses.customerId, customerId)))
      .returning();
    return row;
  }

  async delete(customerId: string, id: string): Promise<AddressRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.db
      .delete(addresses)
      .where(and(eq(addresses.id, id), eq(addresses.customerId, customerId)))
      .returning();
    return row;
  }

  async newest(customerId: string): Promise<AddressRow | undefined> {
    const [row] = await this.db.select().from(addresses).where(eq(addresses.customerId, customerId)).orderBy(desc(addresses.createdAt), desc(addresses.id)).limit(1);
    return row;
  }
}
