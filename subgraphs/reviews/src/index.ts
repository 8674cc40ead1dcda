import { createServiceRuntime, createSubgraphClient, runMain, stopOnSignals, type ServiceName } from '@greencart/platform';
import { readReviewsEnvironment } from './env.js';
import { createCatalogueClient, createPurchasesClient, prepareReviewsDatabase, seedDemoReviews, startReviewsService } from './server.js';

runMain('reviews', async () => {
  const env = readReviewsEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (`npm start` sets it; see docs/operations.md).');
  const runtime = await createServiceRuntime('reviews', env);
  const client = (name: ServiceName, url: string) => createSubgraphClient({ name, url, credentials: runtime.credentials, timeoutMs: env.SUBGRAPH_TIMEOUT_MS });
  const catalogue = createCatalogueClient(client('products', env.PRODUCTS_URL));
  const purchases = createPurchasesClient(client('orders', env.ORDERS_URL));
  const database = await prepareReviewsDatabase({ serverUrl: env.DATABASE_URL, name: env.REVIEWS_DATABASE_NAME });
  const service = await startReviewsService({ ...runtime, database, catalogue, purchases }, { port: env.PORT, host: env.HOST, metricsPort: env.METRICS_PORT });
  // The demo reviews need the demo orders, which orders seeds as it starts: asked for in the background.
  const seeding = env.SEED_DEMO_DATA ? seedDemoReviews(database.db, purchases, runtime.logger, { waitSeconds: 60 }) : Promise.resolve();
  stopOnSignals(
    runtime.logger,
    async () => {
      await service.stop();
      await seeding.catch(() => undefined);
      await database.close();
    },
    { supervised: env.GREENCART_SUPERVISED },
  );
});
