import { readFile } from 'node:fs/promises';
import { createServiceRuntime, repositoryRoot, runMain, stopOnSignals } from '@greencart/platform';
import { readGatewayEnvironment } from './env.js';
import { startGateway } from './server.js';

runMain('gateway', async () => {
  const env = readGatewayEnvironment();
  const runtime = await createServiceRuntime('gateway', env);
  const supergraphSdl = await readFile(env.SUPERGRAPH_PATH ?? `${repositoryRoot}/supergraph.graphql`, 'utf8');
  const service = await startGateway(
    {
      ...runtime,
      supergraphSdl,
      subgraphUrls: { accounts: env.ACCOUNTS_URL, orders: env.ORDERS_URL, products: env.PRODUCTS_URL },
      subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
      trustProxy: env.TRUST_PROXY,
      safelist: (env.PERSISTED_DOCUMENTS ?? (runtime.production ? 'safelist' : 'off')) === 'safelist',
    },
    { port: env.PORT, host: env.HOST },
  );
  stopOnSignals(runtime.logger, () => service.stop());
});
