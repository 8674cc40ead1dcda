import { createLogger, runMain } from '@greencart/platform';
import { readAccountsEnvironment } from './env.js';
import { prepareAccountsDatabase } from './db/database.js';

// Applies the accounts database's migrations and exits, serving nothing: for a deploy step that
// migrates before new replicas start (the Kubernetes migration Job). Starting accounts migrates too.
runMain('accounts migrations', async () => {
  const env = readAccountsEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (see docs/operations.md).');
  const database = await prepareAccountsDatabase({ serverUrl: env.DATABASE_URL, name: env.ACCOUNTS_DATABASE_NAME });
  await database.close();
  createLogger('accounts', env.LOG_LEVEL, env.LOG_FORMAT).info('migrations applied', { database: env.ACCOUNTS_DATABASE_NAME });
});
