import { createServiceRuntime, createSubgraphClient, runMain, stopOnSignals } from '@greencart/platform';
import { readOrdersEnvironment } from './env.js';
import { prepareOrdersDatabase, startOrdersService } from './server.js';

runMain('orders', async () => {
  const env = readOrdersEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (`npm start` sets it; see the README).');
  const runtime = await createServiceRuntime('orders', env);
  const products = createSubgraphClient({ name: 'products', url: env.PRODUCTS_URL, credentials: runtime.credentials, timeoutMs: env.SUBGRAPH_TIMEOUT_MS });
  const database = await prepareOrdersDatabase({ serverUrl: env.DATABASE_URL, name: env.ORDERS_DATABASE_NAME });
  const service = await startOrdersService({ ...runtime, database, products }, { port: env.PORT, host: env.HOST });
  stopOnSignals(runtime.logger, async () => {
    await service.stop();
    await database.close();
  });
});
