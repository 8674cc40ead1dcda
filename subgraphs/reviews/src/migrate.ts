import { createLogger, runMain } from '@greencart/platform';
import { readReviewsEnvironment } from './env.js';
import { prepareReviewsDatabase } from './db/database.js';

// Applies the reviews database's migrations and exits, serving nothing: for a deploy step that
// migrates before new replicas start (the Kubernetes migration Job). Starting reviews migrates too.
runMain('reviews migrations', async () => {
  const env = readReviewsEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (see docs/operations.md).');
  const database = await prepareReviewsDatabase({ serverUrl: env.DATABASE_URL, name: env.REVIEWS_DATABASE_NAME });
  await database.close();
  createLogger('reviews', env.LOG_LEVEL, env.LOG_FORMAT).info('migrations applied', { database: env.REVIEWS_DATABASE_NAME });
});
