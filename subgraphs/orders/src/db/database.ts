import { fileURLToPath } from 'node:url';
import { prepareDatabase, type Database, type Executor as ExecutorOf } from '@greencart/platform';
import * as schema from './schema.js';

export type OrdersDatabase = Database<typeof schema>;
export type OrdersDb = OrdersDatabase['db'];
export type Executor = ExecutorOf<typeof schema>;

/** Creates the orders database on the server when missing, connects and migrates it. */
export function prepareOrdersDatabase(options: { serverUrl: string; name: string; onStatement?: (statement: string) => void }): Promise<OrdersDatabase> {
  return prepareDatabase({ ...options, schema, migrationsFolder: fileURLToPath(new URL('../../migrations', import.meta.url)) });
}
