import { createServiceRuntime, createSubgraphClient, runMain, stopOnSignals } from '@greencart/platform';
import { readOrdersEnvironment } from './env.js';
import { createAccountsClient, createStockClient, OrderRecovery, prepareOrdersDatabase, startOrdersService } from './server.js';

runMain('orders', async () => {
  const env = readOrdersEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (`npm start` sets it; see the README).');
  const runtime = await createServiceRuntime('orders', env);
  const client = (name: string, url: string) => createSubgraphClient({ name, url, credentials: runtime.credentials, timeoutMs: env.SUBGRAPH_TIMEOUT_MS });
  const products = client('products', env.PRODUCTS_URL);
  const stock = createStockClient(products);
  const accounts = createAccountsClient(client('accounts', env.ACCOUNTS_URL));
  const database = await prepareOrdersDatabase({ serverUrl: env.DATABASE_URL, name: env.ORDERS_DATABASE_NAME });
  const service = await startOrdersService({ ...runtime, database, products, stock, accounts }, { port: env.PORT, host: env.HOST });
  // Puts right orders that a crash or an unreachable products subgraph left half done.
  const stopRecovery = new OrderRecovery(database.db, stock, runtime.logger).start(env.ORDER_RECOVERY_INTERVAL_SECONDS);
  stopOnSignals(runtime.logger, async () => {
    stopRecovery();
    await service.stop();
    await database.close();
  });
});
