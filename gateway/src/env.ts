import { z } from 'zod';
import { commonEnvironment, metricsPort, serviceUrlVariable, EnvironmentError, readEnvironment, repositoryManifest, type ServiceManifest } from '@greencart/platform';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_LIMITS, DEFAULT_REQUEST_TIMEOUT_MS } from './limits.js';
import { DEFAULT_PUBLIC_CACHE_MAX_AGE_SECONDS } from './http-caching.js';
import { DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS, DEFAULT_GATEWAY_CACHE_MAX_BYTES } from './response-cache.js';
import { DEFAULT_MAX_FORWARDED_BODY_BYTES } from './subgraph-forward.js';
import { DEFAULT_RATE_LIMITS } from './rate-limits.js';
import { DEFAULT_SUBSCRIPTION_LIMITS } from './live/subscription-server.js';
import { DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS } from './live/websocket-transport.js';

/** An origin as browsers send it: scheme, host and port, nothing more. */
const isOrigin = (text: string) => {
  try {
    return new URL(text).origin === text;
  } catch {
    return false;
  }
};

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const rate = (fallback: number) => z.coerce.number().positive().default(fallback);

/** A Redis server's URL, as ioredis reads it. */
const isRedisUrl = (text: string) => {
  try {
    return ['redis:', 'rediss:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
};

/**
 * The gateway's configuration: the only reader of process.env here. Each subgraph of the manifest
 * has its `<NAME>_URL` (unset: the routing_url the supergraph was composed with, the manifest's).
 */
export function readGatewayEnvironment(source: NodeJS.ProcessEnv = process.env, manifest: ServiceManifest = repositoryManifest()) {
  const subgraphUrlShape = Object.fromEntries(manifest.subgraphs.map((subgraph) => [serviceUrlVariable(subgraph.name), z.string().url().optional()]));
  const env = readEnvironment(
    {
      ...subgraphUrlShape,
      ...commonEnvironment,
      PORT: z.coerce.number().int().min(0).max(65535).default(manifest.gateway.port),
      METRICS_PORT: metricsPort(manifest.gateway.metricsPort),
      SUPERGRAPH_PATH: z.string().optional(),
      SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
      // safelist: run only the client's persisted documents (the default in production).
      PERSISTED_DOCUMENTS: z.enum(['safelist', 'off']).optional(),
      // Browser apps' origins allowed by CORS, comma-separated (unset: local ones in development, none in production).
      CORS_ORIGINS: z
        .string()
        .optional()
        .transform((list, context) => {
          if (list === undefined || list.trim() === '') return undefined;
          const origins = list
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean);
          for (const origin of origins) {
            if (!isOrigin(origin)) context.addIssue({ code: z.ZodIssueCode.custom, message: `"${origin}" is not an origin such as https://shop.example.com or http://localhost:5173` });
          }
          return origins;
        }),
      // Seconds a CDN or browser may reuse a public GET's answer (0: every answer private, no-store).
      PUBLIC_CACHE_MAX_AGE: z.coerce.number().int().min(0).max(31_536_000).default(DEFAULT_PUBLIC_CACHE_MAX_AGE_SECONDS),
      // The gateway's own cache of public answers (docs/operations.md): on or off, its bound in bytes, the longest it keeps an answer.
      GATEWAY_CACHE: z.enum(['on', 'off']).default('on'),
      GATEWAY_CACHE_MAX_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_GATEWAY_CACHE_MAX_BYTES),
      GATEWAY_CACHE_MAX_AGE: z.coerce.number().int().min(1).max(86_400).default(DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS),
      TRUST_PROXY: z
        .enum(['true', 'false'])
        .default('false')
        .transform((value) => value === 'true'),
      // Request limits (see docs/operations.md).
      REQUEST_MAX_DEPTH: count(DEFAULT_REQUEST_LIMITS.maxDepth),
      REQUEST_MAX_ALIASES: count(DEFAULT_REQUEST_LIMITS.maxAliases),
      REQUEST_MAX_DIRECTIVES: count(DEFAULT_REQUEST_LIMITS.maxDirectives),
      REQUEST_MAX_TOKENS: count(DEFAULT_REQUEST_LIMITS.maxTokens),
      REQUEST_MAX_COST: count(DEFAULT_REQUEST_LIMITS.maxCost),
      REQUEST_MAX_BODY_BYTES: count(DEFAULT_MAX_BODY_BYTES),
      // The largest body forwarded by a PUT or POST gateway route (an image upload).
      FORWARDED_MAX_BODY_BYTES: count(DEFAULT_MAX_FORWARDED_BODY_BYTES),
      REQUEST_TIMEOUT_MS: count(DEFAULT_REQUEST_TIMEOUT_MS),
      // Concurrent subscriptions over WebSocket, per connection and per customer on this process.
      SUBSCRIPTIONS_PER_CONNECTION: count(DEFAULT_SUBSCRIPTION_LIMITS.perConnection),
      SUBSCRIPTIONS_PER_CUSTOMER: count(DEFAULT_SUBSCRIPTION_LIMITS.perCustomer),
      // WebSocket: the largest message read (unset: REQUEST_MAX_BODY_BYTES), and sockets per client address.
      WEBSOCKET_MAX_FRAME_BYTES: z.coerce.number().int().min(1024).optional(),
      WEBSOCKET_CONNECTIONS_PER_ADDRESS: count(DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS),
      // Rate limits per client address and per customer: a burst at once, and a rate on average.
      RATE_LIMIT_ADDRESS_BURST: count(DEFAULT_RATE_LIMITS.perAddress.burst),
      RATE_LIMIT_ADDRESS_PER_SECOND: rate(DEFAULT_RATE_LIMITS.perAddress.perSecond),
      RATE_LIMIT_CUSTOMER_BURST: count(DEFAULT_RATE_LIMITS.perCustomer.burst),
      RATE_LIMIT_CUSTOMER_PER_SECOND: rate(DEFAULT_RATE_LIMITS.perCustomer.perSecond),
      // Where the rate limits are counted for every gateway replica together (unset: each process's memory).
      REDIS_URL: z.string().refine(isRedisUrl, 'must be a redis:// or rediss:// URL, such as redis://127.0.0.1:6379').optional(),
    },
    source,
  );
  // Checked once the numbers are read, as a zod refinement would be: a window holds the burst, and
  // lasts at least a second (see rateLimitWindow), so it cannot let through more than the burst a second.
  const problems = (['ADDRESS', 'CUSTOMER'] as const)
    .filter((limit) => env[`RATE_LIMIT_${limit}_BURST`] < env[`RATE_LIMIT_${limit}_PER_SECOND`])
    .map((limit) => `  RATE_LIMIT_${limit}_BURST: must be at least RATE_LIMIT_${limit}_PER_SECOND (limits are counted in windows of a second or more, each allowing the burst)`);
  if (problems.length > 0) throw new EnvironmentError(`Invalid environment:\n${problems.join('\n')}`);
  // The URL variables are the manifest's, so their names are known only now.
  const variables: Record<string, unknown> = env;
  const subgraphUrls: Record<string, string> = {};
  for (const subgraph of manifest.subgraphs) {
    const url = variables[serviceUrlVariable(subgraph.name)];
    if (typeof url === 'string') subgraphUrls[subgraph.name] = url;
  }
  return { ...env, subgraphUrls };
}
