import { fileURLToPath } from 'node:url';
import { prepareDatabase, type Database, type Executor as ExecutorOf } from '@greencart/platform';
import * as schema from './schema.js';

export type ReviewsDatabase = Database<typeof schema>;
export type ReviewsDb = ReviewsDatabase['db'];
export type Executor = ExecutorOf<typeof schema>;

/** Creates the reviews database on the server when missing, connects and migrates it. */
export function prepareReviewsDatabase(options: { serverUrl: string; name: string; onStatement?: (statement: string) => void }): Promise<ReviewsDatabase> {
  return prepareDatabase({ ...options, schema, migrationsFolder: fileURLToPath(new URL('../../migrations', import.meta.url)) });
}
