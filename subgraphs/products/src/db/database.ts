import { fileURLToPath } from 'node:url';
import { prepareDatabase, type Database, type Executor as ExecutorOf } from '@greencart/platform';
import * as schema from './schema.js';

export type ProductsDatabase = Database<typeof schema>;
export type ProductsDb = ProductsDatabase['db'];
export type Executor = ExecutorOf<typeof schema>;

/** Creates the products database on the server when missing, connects and migrates it. */
export function prepareProductsDatabase(options: { serverUrl: string; name: string; onStatement?: (statement: string) => void }): Promise<ProductsDatabase> {
  return prepareDatabase({ ...options, schema, migrationsFolder: fileURLToPath(new URL('../../migrations', import.meta.url)) });
}
