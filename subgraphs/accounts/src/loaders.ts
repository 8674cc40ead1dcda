import DataLoader from 'dataloader';
import { groupsByKey, rowsByKey } from '@greencart/platform';
import type { AccountsDb } from './db/database.js';
import { CustomerRepository } from './db/customer-repository.js';
import type { AddressRow, CustomerRow, PaymentMethodRow } from './db/schema.js';

/** Per-request loaders: each turns the N lookups of one GraphQL response into one statement. */
export function createLoaders(db: AccountsDb) {
  const customers = new CustomerRepository(db);
  return {
    /** Customers for `me` and for `_entities` references (an admin's list of orders shows many). */
    customerById: new DataLoader<string, CustomerRow | null>(async (ids) => rowsByKey(ids, await customers.findByIds(ids), (row) => row.id)),
    /** `Customer.addresses` across many customers. */
    addressesByCustomerId: new DataLoader<string, AddressRow[]>(async (ids) => groupsByKey(ids, await customers.addressesOf(ids), (row) => row.customerId)),
    /** `Customer.paymentMethods` across many customers. */
    paymentMethodsByCustomerId: new DataLoader<string, PaymentMethodRow[]>(async (ids) =>
      groupsByKey(ids, await customers.activePaymentMethodsOf(ids), (row) => row.customerId),
    ),
    /** Payment methods for `_entities` references from transactions (removed ones included). */
    paymentMethodById: new DataLoader<string, PaymentMethodRow | null>(async (ids) =>
      rowsByKey(ids, await customers.findPaymentMethodsByIds(ids), (row) => row.id),
    ),
  };
}
export type AccountsLoaders = ReturnType<typeof createLoaders>;
