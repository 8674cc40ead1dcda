import DataLoader from 'dataloader';
import { groupsByKey, rowsByKey } from '@greencart/platform';
import { AddressRepository } from './db/address-repository.js';
import { CustomerRepository } from './db/customer-repository.js';
import type { AccountsDb } from './db/database.js';
import { PaymentMethodRepository } from './db/payment-method-repository.js';
import type { AddressRow, CustomerRow, PaymentMethodRow } from './db/schema.js';

/** Per-request loaders: each turns the N lookups of one GraphQL response into one statement. */
export function createLoaders(db: AccountsDb) {
  const customers = new CustomerRepository(db);
  const addresses = new AddressRepository(db);
  const paymentMethods = new PaymentMethodRepository(db);
  return {
    /** Customers for `me` and for `_entities` references (an admin's list of orders shows many). */
    customerById: new DataLoader<string, CustomerRow | null>(async (ids) => rowsByKey(ids, await customers.findByIds(ids), (row) => row.id)),
    /** `Customer.addresses` across many customers. */
    addressesByCustomerId: new DataLoader<string, AddressRow[]>(async (ids) => groupsByKey(ids, await addresses.listFor(ids), (row) => row.customerId)),
    /** `Customer.paymentMethods` across many customers (active cards only). */
    paymentMethodsByCustomerId: new DataLoader<string, PaymentMethodRow[]>(async (ids) => groupsByKey(ids, await paymentMethods.listActiveFor(ids), (row) => row.customerId)),
    /** Addresses for `_entities` references from orders (placing an order copies one). */
    addressById: new DataLoader<string, AddressRow | null>(async (ids) => rowsByKey(ids, await addresses.findByIds(ids), (row) => row.id)),
    /** Payment methods for `_entities` references from payments (removed ones included). */
    paymentMethodById: new DataLoader<string, PaymentMethodRow | null>(async (ids) => rowsByKey(ids, await paymentMethods.findByIds(ids), (row) => row.id)),
  };
}
export type AccountsLoaders = ReturnType<typeof createLoaders>;
