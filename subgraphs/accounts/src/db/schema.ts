import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const createdAt = timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow();

export const roles = ['CUSTOMER', 'ADMIN'] as const;

export const customers = pgTable(
  'customers',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Always stored in lower case; unique. */
    email: text().notNull(),
    name: text().notNull(),
    phone: text(),
    role: text({ enum: roles }).notNull().default('CUSTOMER'),
    /** scrypt, self-describing: `scrypt$N$r$p$salt$hash`. Never leaves this subgraph. */
    passwordHash: text().notNull(),
    createdAt,
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('customers_email_key').on(table.email), check('customers_email_lower_case', sql`${table.email} = lower(${table.email})`)],
);

export const addresses = pgTable(
  'addresses',
  {
    id: uuid().primaryKey().defaultRandom(),
    customerId: uuid()
      .notNull()
      .references(() => customers.id),
    line1: text().notNull(),
    line2: text(),
    city: text().notNull(),
    postalCode: text().notNull(),
    country: text().notNull(),
    isDefault: boolean().notNull().default(false),
    createdAt,
  },
  (table) => [
    index('addresses_customer_id_idx').on(table.customerId),
    // At most one default address per customer, enforced by the database.
    uniqueIndex('addresses_one_default_per_customer')
      .on(table.customerId)
      .where(sql`${table.isDefault}`),
  ],
);

export const cardBrands = ['VISA', 'MASTERCARD', 'AMEX', 'DISCOVER', 'OTHER'] as const;

export const paymentMethods = pgTable(
  'payment_methods',
  {
    id: uuid().primaryKey().defaultRandom(),
    customerId: uuid()
      .notNull()
      .references(() => customers.id),
    brand: text({ enum: cardBrands }).notNull(),
    last4: text().notNull(),
    expMonth: integer().notNull(),
    expYear: integer().notNull(),
    /** The payment processor's opaque token for the card; the card number is never stored. */
    processorToken: text().notNull(),
    isDefault: boolean().notNull().default(false),
    createdAt,
    /** Set when the customer removes the card; kept for the transactions that used it. */
    removedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (table) => [
    index('payment_methods_customer_id_idx').on(table.customerId),
    uniqueIndex('payment_methods_one_default_per_customer')
      .on(table.customerId)
      .where(sql`${table.isDefault} and ${table.removedAt} is null`),
  ],
);

/**
 * Sign-in attempts in the current window: the login throttle's counters, per client address and
 * email (`pair:<address>|<email>`), per email (`account:<email>`) and per client address
 * (`address:<address>`). Counted before the password is checked, so concurrent guesses cannot slip
 * past the limit.
 */
export const signInAttempts = pgTable('sign_in_attempts', {
  key: text().primaryKey(),
  attempts: integer().notNull(),
  /** Attempts counted whose password check has not finished yet: the rest of `attempts` are settled. */
  inFlight: integer().notNull().default(0),
  windowStartedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type CustomerRow = typeof customers.$inferSelect;
export type AddressRow = typeof addresses.$inferSelect;
export type PaymentMethodRow = typeof paymentMethods.$inferSelect;
