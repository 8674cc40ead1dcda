import { Refusal, UserErrorCode, transactionOrRefusal, userError, type UserError } from '@greencart/platform';
import { AddressRepository } from '../db/address-repository.js';
import { CustomerRepository } from '../db/customer-repository.js';
import type { AccountsDb, Executor } from '../db/database.js';
import type { AddressRow } from '../db/schema.js';
import { validateAddress, type AddressInput } from './profile-rules.js';

export type AddressResult = { value: AddressRow; userErrors: [] } | { value: null; userErrors: UserError[] };
export type RemovalResult = { value: { removedId: string }; userErrors: [] } | { value: null; userErrors: UserError[] };

const addressNotFound = () => new Refusal([userError(UserErrorCode.NOT_FOUND, 'No such address.', 'id')]);

/**
 * A customer's saved addresses: at most one default (also enforced by a unique index). Each change
 * runs under the customer's row lock, so concurrent changes cannot leave two defaults or none.
 */
export class AddressBook {
  constructor(private readonly db: AccountsDb) {}

  async add(customerId: string, input: AddressInput): Promise<AddressResult> {
    const { address, errors } = validateAddress(input);
    if (!address) return { value: null, userErrors: errors };
    return this.underLock(customerId, async (addresses) => {
      // Left out, isDefault means "default if there is none yet"; an explicit false is respected.
      const makeDefault = input.isDefault ?? !(await addresses.hasDefault(customerId));
      if (makeDefault) await addresses.clearDefault(customerId);
      return addresses.insert(customerId, address, makeDefault);
    });
  }

  async makeDefault(customerId: string, id: string): Promise<AddressResult> {
    return this.underLock(customerId, async (addresses) => {
      // Not the customer's address: the refusal rolls the cleared default back too.
      await addresses.clearDefault(customerId);
      const address = await addresses.makeDefault(customerId, id);
      if (!address) throw addressNotFound();
      return address;
    });
  }

  async remove(customerId: string, id: string): Promise<RemovalResult> {
    return this.underLock(customerId, async (addresses) => {
      const removed = await addresses.delete(customerId, id);
      if (!removed) throw addressNotFound();
      if (removed.isDefault) {
        const next = await addresses.newest(customerId);
        if (next) await addresses.makeDefault(customerId, next.id);
      }
      return { removedId: removed.id };
    });
  }

  private underLock<Value>(customerId: string, work: (addresses: AddressRepository) => Promise<Value>) {
    return transactionOrRefusal<Executor, Value>(this.db, async (tx) => {
      if (!(await new CustomerRepository(tx).lock(customerId))) throw new Refusal([userError(UserErrorCode.NOT_FOUND, 'No such customer.')]);
      return work(new AddressRepository(tx));
    });
  }
}
