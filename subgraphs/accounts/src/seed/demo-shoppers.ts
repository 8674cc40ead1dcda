import { demoShoppers } from '@greencart/platform';
import type { AccountsDb } from '../db/database.js';
import { customers } from '../db/schema.js';

/** Not a scrypt hash, so no password ever matches it: demo shoppers have an order history, not a sign-in. */
const NO_PASSWORD = 'none';

/** Creates the demo shoppers once (by id or email); existing ones are left as they are. */
export async function seedDemoShoppers(db: AccountsDb): Promise<void> {
  await db
    .insert(customers)
    .values(demoShoppers.map((shopper) => ({ ...shopper, role: 'CUSTOMER' as const, passwordHash: NO_PASSWORD })))
    .onConflictDoNothing();
}
