import { createServiceRuntime, runMain, stopOnSignals } from '@greencart/platform';
import { read__Name__Environment } from './env.js';
import { prepare__Name__Database, start__Name__Service } from './server.js';

runMain('__name__', async () => {
  const env = read__Name__Environment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (`npm start` sets it; see docs/operations.md).');
  const runtime = await createServiceRuntime('__name__', env);
  const database = await prepare__Name__Database({ serverUrl: env.DATABASE_URL, name: env.__NAME___DATABASE_NAME });
  const service = await start__Name__Service({ ...runtime, database }, { port: env.PORT, host: env.HOST, metricsPort: env.METRICS_PORT });
  stopOnSignals(
    runtime.logger,
    async () => {
      await service.stop();
      await database.close();
    },
    { supervised: env.GREENCART_SUPERVISED },
  );
});
