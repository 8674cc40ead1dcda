import type { AccountsDb } from '../db/database.js';
import { CustomerRepository } from '../db/customer-repository.js';
import { hashPassword } from '../services/passwords.js';

export const ADMIN_EMAIL = 'admin@greencart.dev';

/** Creates the administrator once; an existing admin (and a changed password) is left alone. */
export async function seedAdministrator(db: AccountsDb, password: string): Promise<void> {
  const customers = new CustomerRepository(db);
  if (await customers.findByEmail(ADMIN_EMAIL)) return;
  await customers.insertIfEmailFree({ email: ADMIN_EMAIL, name: 'GreenCart Admin', role: 'ADMIN', passwordHash: await hashPassword(password) });
}
