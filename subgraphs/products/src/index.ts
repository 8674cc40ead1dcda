import { createServiceRuntime, runMain, stopOnSignals } from '@greencart/platform';
import { readProductsEnvironment } from './env.js';
import { prepareProductsDatabase, seedDemoCatalogue, startProductsService } from './server.js';

runMain('products', async () => {
  const env = readProductsEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (`npm start` sets it; see docs/operations.md).');
  const runtime = await createServiceRuntime('products', env);
  const database = await prepareProductsDatabase({ serverUrl: env.DATABASE_URL, name: env.PRODUCTS_DATABASE_NAME });
  if (env.SEED_DEMO_DATA) await seedDemoCatalogue(database.db);
  const images = {
    publicUrl: env.PUBLIC_URL,
    limits: { maxBytes: env.IMAGE_MAX_UPLOAD_BYTES, maxPixels: env.IMAGE_MAX_PIXELS },
    resizeConcurrency: env.IMAGE_RESIZE_CONCURRENCY,
    resizesWaiting: env.IMAGE_RESIZES_WAITING,
  };
  const service = await startProductsService({ ...runtime, database, images }, { port: env.PORT, host: env.HOST, metricsPort: env.METRICS_PORT });
  stopOnSignals(
    runtime.logger,
    async () => {
      await service.stop();
      await database.close();
    },
    { supervised: env.GREENCART_SUPERVISED },
  );
});
