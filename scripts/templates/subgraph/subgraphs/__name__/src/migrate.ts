import { createLogger, runMain } from '@greencart/platform';
import { read__Name__Environment } from './env.js';
import { prepare__Name__Database } from './db/database.js';

// Applies the __name__ database's migrations and exits, serving nothing: for a deploy step that
// migrates before new replicas start (the Kubernetes migration Job). Starting __name__ migrates too.
runMain('__name__ migrations', async () => {
  const env = read__Name__Environment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (see docs/operations.md).');
  const database = await prepare__Name__Database({ serverUrl: env.DATABASE_URL, name: env.__NAME___DATABASE_NAME });
  await database.close();
  createLogger('__name__', env.LOG_LEVEL, env.LOG_FORMAT).info('migrations applied', { database: env.__NAME___DATABASE_NAME });
});
