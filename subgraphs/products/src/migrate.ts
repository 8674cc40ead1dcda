import { createLogger, runMain } from '@greencart/platform';
import { readProductsEnvironment } from './env.js';
import { prepareProductsDatabase } from './db/database.js';

// Applies the products database's migrations and exits, serving nothing: for a deploy step that
// migrates before new replicas start (the Kubernetes migration Job). Starting products migrates too.
runMain('products migrations', async () => {
  const env = readProductsEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (see docs/operations.md).');
  const database = await prepareProductsDatabase({ serverUrl: env.DATABASE_URL, name: env.PRODUCTS_DATABASE_NAME });
  await database.close();
  createLogger('products', env.LOG_LEVEL, env.LOG_FORMAT).info('migrations applied', { database: env.PRODUCTS_DATABASE_NAME });
});
