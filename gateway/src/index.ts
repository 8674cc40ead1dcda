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
      subgraphUrls: env.subgraphUrls,
      subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
      trustProxy: env.TRUST_PROXY,
      corsOrigins: env.CORS_ORIGINS,
      publicCacheMaxAgeSeconds: env.PUBLIC_CACHE_MAX_AGE,
      responseCache: env.GATEWAY_CACHE === 'on' && { maxBytes: env.GATEWAY_CACHE_MAX_BYTES, maxAgeSeconds: env.GATEWAY_CACHE_MAX_AGE },
      requestLimits: {
        maxDepth: env.REQUEST_MAX_DEPTH,
        maxAliases: env.REQUEST_MAX_ALIASES,
        maxDirectives: env.REQUEST_MAX_DIRECTIVES,
        maxTokens: env.REQUEST_MAX_TOKENS,
        maxCost: env.REQUEST_MAX_COST,
      },
      maxBodyBytes: env.REQUEST_MAX_BODY_BYTES,
      maxForwardedBodyBytes: env.FORWARDED_MAX_BODY_BYTES,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      rateLimits: {
        perAddress: { burst: env.RATE_LIMIT_ADDRESS_BURST, perSecond: env.RATE_LIMIT_ADDRESS_PER_SECOND },
        perCustomer: { burst: env.RATE_LIMIT_CUSTOMER_BURST, perSecond: env.RATE_LIMIT_CUSTOMER_PER_SECOND },
      },
      redisUrl: env.REDIS_URL,
      subscriptionLimits: { perConnection: env.SUBSCRIPTIONS_PER_CONNECTION, perCustomer: env.SUBSCRIPTIONS_PER_CUSTOMER },
      webSocketMaxFrameBytes: env.WEBSOCKET_MAX_FRAME_BYTES ?? env.REQUEST_MAX_BODY_BYTES,
      webSocketConnectionsPerAddress: env.WEBSOCKET_CONNECTIONS_PER_ADDRESS,
      safelist: (env.PERSISTED_DOCUMENTS ?? (runtime.production ? 'safelist' : 'off')) === 'safelist',
    },
    { port: env.PORT, host: env.HOST, metricsPort: env.METRICS_PORT },
  );
  stopOnSignals(runtime.logger, () => service.stop(), { supervised: env.GREENCART_SUPERVISED });
});
