import { createLogger, runMain } from '@greencart/platform';
import { readOrdersEnvironment } from './env.js';
import { prepareOrdersDatabase } from './db/database.js';

// Applies the orders database's migrations and exits, serving nothing: for a deploy step that
// migrates before new replicas start (the Kubernetes migration Job). Starting orders migrates too.
runMain('orders migrations', async () => {
  const env = readOrdersEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (see docs/operations.md).');
  const database = await prepareOrdersDatabase({ serverUrl: env.DATABASE_URL, name: env.ORDERS_DATABASE_NAME });
  await database.close();
  createLogger('orders', env.LOG_LEVEL, env.LOG_FORMAT).info('migrations applied', { database: env.ORDERS_DATABASE_NAME });
});
