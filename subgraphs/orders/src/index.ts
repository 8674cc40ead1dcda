import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createServiceRuntime, createSubgraphClient, loadOrCreateFile, runMain, stopOnSignals, type ServiceName } from '@greencart/platform';
import { readOrdersEnvironment } from './env.js';
import { createAccountsClient, createInvoiceLinks, createStockClient, createTestPaymentProcessor, OrderRecovery, prepareOrdersDatabase, seedDemoOrders, startOrdersService } from './server.js';

runMain('orders', async () => {
  const env = readOrdersEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (`npm start` sets it; see docs/operations.md).');
  const runtime = await createServiceRuntime('orders', env);
  const client = (name: ServiceName, url: string) => createSubgraphClient({ name, url, credentials: runtime.credentials, timeoutMs: env.SUBGRAPH_TIMEOUT_MS });
  const products = client('products', env.PRODUCTS_URL);
  const stock = createStockClient(products);
  const accounts = createAccountsClient(client('accounts', env.ACCOUNTS_URL));
  const database = await prepareOrdersDatabase({ serverUrl: env.DATABASE_URL, name: env.ORDERS_DATABASE_NAME });
  if (env.SEED_DEMO_DATA) await seedDemoOrders(database.db, products, runtime.logger);
  const linkSecret = env.INVOICE_LINK_SECRET ?? (await loadOrCreateFile(join(runtime.dataDir, 'secrets', 'invoice-link-secret'), () => randomBytes(32).toString('base64url'))).value;
  const invoiceLinks = createInvoiceLinks({ secret: linkSecret, publicUrl: env.PUBLIC_URL });
  const processor = createTestPaymentProcessor();
  const service = await startOrdersService({ ...runtime, database, products, stock, accounts, processor, invoiceLinks }, { port: env.PORT, host: env.HOST, metricsPort: env.METRICS_PORT });
  // Puts right orders that a crash or an unreachable products subgraph left half done.
  const stopRecovery = new OrderRecovery(database.db, stock, runtime.logger).start(env.ORDER_RECOVERY_INTERVAL_SECONDS);
  stopOnSignals(
    runtime.logger,
    async () => {
      stopRecovery();
      await service.stop();
      await database.close();
    },
    { supervised: env.GREENCART_SUPERVISED },
  );
});
