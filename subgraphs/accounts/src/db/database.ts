import { fileURLToPath } from 'node:url';
import { prepareDatabase, type Database, type Executor as ExecutorOf } from '@greencart/platform';
import * as schema from './schema.js';

export type AccountsDatabase = Database<typeof schema>;
export type AccountsDb = AccountsDatabase['db'];
export type Executor = ExecutorOf<typeof schema>;

/** Creates the accounts database on the server when missing, connects and migrates it. */
export function prepareAccountsDatabase(options: { serverUrl: string; name: string; onStatement?: (statement: string) => void }): Promise<AccountsDatabase> {
  return prepareDatabase({ ...options, schema, migrationsFolder: fileURLToPath(new URL('../../migrations', import.meta.url)) });
}
