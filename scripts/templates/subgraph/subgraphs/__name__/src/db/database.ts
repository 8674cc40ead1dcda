import { fileURLToPath } from 'node:url';
import { prepareDatabase, type Database, type Executor as ExecutorOf } from '@greencart/platform';
import * as schema from './schema.js';

export type __Name__Database = Database<typeof schema>;
export type __Name__Db = __Name__Database['db'];
export type Executor = ExecutorOf<typeof schema>;

/** Creates the __name__ database on the server when missing, connects and migrates it. */
export function prepare__Name__Database(options: { serverUrl: string; name: string; onStatement?: (statement: string) => void }): Promise<__Name__Database> {
  return prepareDatabase({ ...options, schema, migrationsFolder: fileURLToPath(new URL('../../migrations', import.meta.url)) });
}
