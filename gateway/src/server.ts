import { randomUUID } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import { ApolloGateway } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { prettyFormatQueryPlan, type QueryPlannerConfig } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  createErrorFormatter,
  createJsonPoster,
  createServiceMetrics,
  currentRequest,
  errorCodeLabel,
  errorFields,
  repositoryManifest,
  startGraphQLService,
  type Logger,
  type ListenAddress,
  type RunningService,
  type ServiceCredentials,
  type ServiceManifest,
  type UserTokenVerifier,
} from '@greencart/platform';
import { createContextFactory, type GatewayContext } from './context.js';
import { DeferExecutor } from './defer/defer-executor.js';
import { incrementalDeliveryPlugin, partsAnswerCounter, withIncrementalDelivery } from './defer/incremental-delivery.js';
import { graphiqlPage } from './graphiql.js';
import { DEFAULT_PUBLIC_CACHE_MAX_AGE_SECONDS, httpCachingPlugin, privateByDefault } from './http-caching.js';
import { browserAccess } from './browser-access.js';
import { checkScalarInputs } from './input-scalars.js';
import { checkSubgraphsListed } from './manifest-subgraphs.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REQUEST_LIMITS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  requestLimitsPlugin,
  tokenLimit,
  withRequestDeadline,
  type RequestDeadline,
  type RequestLimits,
} from './limits.js';
import { readPersistedDocuments, safelist } from './persisted-documents.js';
import { DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS, DEFAULT_GATEWAY_CACHE_MAX_BYTES, ResponseCache, responseCachePlugin } from './response-cache.js';
import { SubgraphFeed } from './live/subgraph-feed.js';
import { DEFAULT_SUBSCRIPTION_LIMITS, startSubscriptionServer, type SubscriptionLimits } from './live/subscription-server.js';
import { memorySlots, redisSlots } from './live/subscription-slots.js';
import { DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS } from './live/websocket-transport.js';
import { createRateLimiter, DEFAULT_RATE_LIMITS, type RateLimitSettings } from './rate-limits.js';
import { SingleFetchShortcut } from './single-fetch.js';
import { SubgraphDataSource } from './subgraph-data-source.js';
import { mountSubgraphRoutes, subgraphRoutes } from './subgraph-routes.js';
import { DEFAULT_MAX_FORWARDED_BODY_BYTES } from './subgraph-forward.js';

export interface GatewayDependencies {
  /** The composed supergraph schema (supergraph.graphql). */
  supergraphSdl: string;
  /** What the supergraph is made of: each subgraph's callers, live entities and routes (default: the repository's supergraph.yaml). */
  manifest?: ServiceManifest;
  /** Where each subgraph listens, overriding the supergraph's routing URLs (origin, such as http://127.0.0.1:4001). */
  subgraphUrls: Partial<Record<string, string>>;
  verifier: UserTokenVerifier;
  credentials: ServiceCredentials;
  logger: Logger;
  production: boolean;
  subgraphTimeoutMs: number;
  /** Behind a reverse proxy: believe its X-Forwarded-For for the client's address. */
  trustProxy?: boolean;
  /** Browser origins allowed by CORS (default: local origins in development, none in production). */
  corsOrigins?: readonly string[];
  /** Run only the client's persisted documents (client/persisted-documents.json). */
  safelist?: boolean;
  /** Depth, aliases, directives, tokens and cost one request may have (default DEFAULT_REQUEST_LIMITS). */
  requestLimits?: RequestLimits;
  /** The largest JSON body the gateway reads, in bytes (default 256 KiB). */
  maxBodyBytes?: number;
  /** The largest body a PUT or POST gateway route forwards to its subgraph, such as an image upload (default 10 MiB). */
  maxForwardedBodyBytes?: number;
  /** How long the gateway works on one request before it answers REQUEST_TIMEOUT (default 30 s). */
  requestTimeoutMs?: number;
  /** Rate limits per client address and per customer (default DEFAULT_RATE_LIMITS). */
  rateLimits?: RateLimitSettings;
  /** Redis, where the rate limits are counted for every gateway replica together (default: this process's memory). */
  redisUrl?: string;
  /** Concurrent subscriptions per WebSocket connection and per customer (default DEFAULT_SUBSCRIPTION_LIMITS). */
  subscriptionLimits?: SubscriptionLimits;
  /** The largest WebSocket message the gateway reads, in bytes (default: the body limit, maxBodyBytes). */
  webSocketMaxFrameBytes?: number;
  /** WebSocket connections one client address may hold at once (default 50). */
  webSocketConnectionsPerAddress?: number;
  /** How long a CDN or browser may reuse a public GET's answer, in seconds; 0: never (default 10). */
  publicCacheMaxAgeSeconds?: number;
  /** The gateway's cache of public answers: its bound in bytes and the longest it keeps one; false: off (default on, 64 MiB, 10 s). */
  responseCache?: { maxBytes: number; maxAgeSeconds: number } | false;
}

const READY_TIMEOUT_MS = 2_000;

/**
 * Connections the gateway keeps open to each subgraph. Calls beyond this wait for a free one: a
 * burst queues here rather than opening hundreds of sockets, each a process and a database
 * connection's worth of work on the subgraph's side.
 */
const MAX_SOCKETS_PER_SUBGRAPH = 64;

/** The query planner's settings: Apollo's defaults. docs/query-plans.md is planned with the same. */
export const queryPlannerConfig: QueryPlannerConfig = {};

/** A request header that asks for the query plan in `extensions.queryPlan` (development only). */
export const QUERY_PLAN_HEADER = 'x-greencart-query-plan';

const queryPlanInResponse: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        if (contextValue.queryPlan && response.body.kind === 'single') {
          response.body.singleResult.extensions = { ...response.body.singleResult.extensions, queryPlan: contextValue.queryPlan };
        }
      },
    };
  },
};

/** Starts the gateway on `listen.port` (0: any free port). No side effects on import. */
export async function startGateway(deps: GatewayDependencies, listen: ListenAddress): Promise<RunningService> {
  const manifest = deps.manifest ?? repositoryManifest();
  // Refused before anything starts: a subgraph the manifest does not name has no callers, key or address.
  const subgraphs = checkSubgraphsListed(deps.supergraphSdl, manifest);
  const routingUrls = new Map<string, string>();
  const dataSources: Record<string, SubgraphDataSource> = Object.create(null) as Record<string, SubgraphDataSource>;
  const metrics = createServiceMetrics('gateway');
  const poster = createJsonPoster({ maxSockets: MAX_SOCKETS_PER_SUBGRAPH });
  // Nothing phones home: unless this is set, @apollo/gateway asks every cloud's metadata address
  // who runs it and sends Apollo usage metrics (hourly, and when it stops). It reads only this variable.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  // Development: a developer who asks (x-greencart-query-plan) sees how the query fans out.
  const wantsQueryPlan = (requestContext: GatewayGraphQLRequestContext) => !deps.production && Boolean(requestContext.request.http?.headers.get(QUERY_PLAN_HEADER));
  // A query one subgraph answers whole is sent there and its answer returned as it came (see single-fetch.ts).
  const singleFetch = new SingleFetchShortcut({ dataSources: () => dataSources, skip: wantsQueryPlan, registry: metrics.registry });
  const gateway = new ApolloGateway({
    supergraphSdl: deps.supergraphSdl,
    queryPlannerConfig,
    experimental_didResolveQueryPlan: ({ queryPlan, requestContext }) => {
      singleFetch.planned(queryPlan, requestContext);
      if (!wantsQueryPlan(requestContext)) return;
      (requestContext.context as GatewayContext).queryPlan = prettyFormatQueryPlan(queryPlan);
    },
    logger: { debug: () => {}, info: (message) => deps.logger.info(String(message)), warn: (message) => deps.logger.warn(String(message)), error: (message) => deps.logger.error(String(message)) },
    buildService: ({ name, url }) => {
      const override = deps.subgraphUrls[name];
      const routingUrl = override ? new URL('/graphql', override).toString() : url!;
      routingUrls.set(name, routingUrl);
      dataSources[name] = new SubgraphDataSource({ name, url: routingUrl, credentials: deps.credentials, timeoutMs: deps.subgraphTimeoutMs, poster, metrics, manifest });
      return dataSources[name];
    },
  });

  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate((update) => {
    checkScalarInputs(update.apiSchema);
    apiSchema = update.apiSchema;
  });
  // One connection to each change feed the gateway follows: live entities' (see live/subscription-server.ts) and public data's (the cache).
  const followed = manifest.subgraphs.filter((subgraph) => subgraphs.includes(subgraph.name) && (subgraph.liveEntities.length > 0 || subgraph.publicChanges));
  const subgraphFeeds = new Map(
    followed.map((subgraph) => [subgraph.name, new SubgraphFeed({ name: subgraph.name, url: () => routingUrls.get(subgraph.name), credentials: deps.credentials, logger: deps.logger })]),
  );
  // Each entity type's change feed, from the subgraph the manifest says announces it.
  const feeds = Object.fromEntries(followed.flatMap((subgraph) => subgraph.liveEntities.map((typename) => [typename, subgraphFeeds.get(subgraph.name)!] as const)));
  const cacheSettings = deps.responseCache ?? { maxBytes: DEFAULT_GATEWAY_CACHE_MAX_BYTES, maxAgeSeconds: DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS };
  const responseCache = cacheSettings
    ? new ResponseCache({
        ...cacheSettings,
        feeds: followed.filter((subgraph) => subgraph.publicChanges).map((subgraph) => ({ name: subgraph.name, listen: (listener) => subgraphFeeds.get(subgraph.name)!.listen(listener) })),
        registry: metrics.registry,
      })
    : undefined;
  // The manifest's gateway routes (printable invoices…), each with its forward to its subgraph.
  const routes = subgraphRoutes(manifest, subgraphs, {
    urlOf: (subgraph) => routingUrls.get(subgraph),
    credentials: deps.credentials,
    timeoutMs: deps.subgraphTimeoutMs,
    maxBodyBytes: deps.maxForwardedBodyBytes ?? DEFAULT_MAX_FORWARDED_BODY_BYTES,
    // An upload may take as long as the request may: its bytes arrive at the client's pace.
    bodyTimeoutMs: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });

  // Queries with @defer, answered in parts (see docs/architecture.md, "@defer").
  const formatError = createErrorFormatter({
    production: deps.production,
    log: (error) => {
      // As Apollo Server's formatError logs: with the request's id and operation.
      const request = currentRequest();
      (request?.logger ?? deps.logger).error('unexpected error', { operation: request?.operationName, ...errorFields(error) });
    },
  });
  const requestTimeoutMs = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const deferExecutor = new DeferExecutor({
    supergraphSdl: deps.supergraphSdl,
    queryPlannerConfig,
    dataSources: () => dataSources,
    formatError: (formatted, error) => {
      // Counted in greencart_graphql_errors_total as Apollo Server's formatError counts the first part's.
      const answer = formatError(formatted, error);
      currentRequest()?.errorCodes.push(errorCodeLabel(answer.extensions?.code));
      return answer;
    },
    requestTimeoutMs,
    countPartsAnswer: partsAnswerCounter(metrics),
  });

  const requestLimits = deps.requestLimits ?? DEFAULT_REQUEST_LIMITS;
  const rateLimiter = await createRateLimiter(deps.rateLimits ?? DEFAULT_RATE_LIMITS, { redisUrl: deps.redisUrl, logger: deps.logger, registry: metrics.registry });
  const createContext = createContextFactory(deps);
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const subscriptionLimits = deps.subscriptionLimits ?? DEFAULT_SUBSCRIPTION_LIMITS;
  // With Redis, a customer's subscriptions are counted over every replica, as the rate limits are.
  // The production safelist: the SDK's operations and the manifest's web apps'.
  const persistedDocuments = deps.safelist ? readPersistedDocuments(manifest) : undefined;
  const slots = deps.redisUrl ? await redisSlots(subscriptionLimits.perCustomer, deps.redisUrl, deps.logger) : memorySlots(subscriptionLimits.perCustomer);

  const service = await startGraphQLService<GatewayContext & RequestDeadline>(
    {
      name: 'gateway',
      gateway: withRequestDeadline(withIncrementalDelivery(singleFetch.wrap(gateway as unknown as GatewayInterface), deferExecutor), requestTimeoutMs),
      // The deadline runs from here; the rate limits come first, per address before the token is
      // verified, per customer once it is.
      context: async (request) => {
        const deadlineAt = performance.now() + requestTimeoutMs;
        await rateLimiter.checkAddress(request.clientAddress);
        const context = await createContext(request);
        await rateLimiter.checkCustomer(context.user);
        return { ...context, deadlineAt };
      },
      production: deps.production,
      logger: deps.logger,
      metrics,
      trustProxy: deps.trustProxy,
      maxBodyBytes,
      requestTimeoutMs,
      // Tokens are counted before anything parses the document, the safelist included.
      beforeGraphQL: [tokenLimit(requestLimits.maxTokens), ...(persistedDocuments ? [safelist(persistedDocuments)] : [])],
      // Caching last: it tags the answer as it is sent, and an answer in parts stays private.
      plugins: [
        queryPlanInResponse,
        requestLimitsPlugin(requestLimits),
        incrementalDeliveryPlugin(),
        ...(responseCache ? [responseCachePlugin({ cache: responseCache, supergraphSdl: deps.supergraphSdl, queryPlanHeader: QUERY_PLAN_HEADER })] : []),
        httpCachingPlugin({ supergraphSdl: deps.supergraphSdl, maxAgeSeconds: deps.publicCacheMaxAgeSeconds ?? DEFAULT_PUBLIC_CACHE_MAX_AGE_SECONDS }),
      ],
      websocket: ({ httpServer, execute, clientAddress }) =>
        startSubscriptionServer({
          httpServer,
          clientAddress,
          webSocketLimits: {
            maxFrameBytes: deps.webSocketMaxFrameBytes ?? maxBodyBytes,
            connectionsPerAddress: deps.webSocketConnectionsPerAddress ?? DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS,
          },
          rateLimiter,
          slots,
          schema: () => apiSchema,
          execute: (query, variables, subscriber) => execute({ query, variables }, { ...subscriber, requestId: randomUUID(), deadlineAt: performance.now() + requestTimeoutMs }),
          verifier: deps.verifier,
          feeds,
          requestLimits,
          subscriptionLimits,
          safelist: persistedDocuments,
          production: deps.production,
          logger: deps.logger,
          registry: metrics.registry,
        }),
      routes: (app) => {
        // Browser apps on other origins: CORS before anything else answers.
        app.use('/graphql', ...browserAccess({ origins: deps.corsOrigins, production: deps.production, logger: deps.logger }), privateByDefault());
        // GraphiQL for a browser opening /graphql, in development only (GraphQL over GET still works).
        app.get('/graphql', (req, res, next) => {
          if (deps.production || req.query.query !== undefined || req.accepts(['application/json', 'text/html']) !== 'text/html') return next();
          res.type('html').send(graphiqlPage());
        });
        // A browser app on another origin sends an upload (a PUT with Content-Type) only after a preflight.
        for (const route of routes.filter((candidate) => candidate.method !== 'GET')) {
          app.use(route.path, ...browserAccess({ origins: deps.corsOrigins, production: deps.production, logger: deps.logger, methods: [route.method] }));
        }
        // Paths forwarded to a subgraph, such as the signed links from Invoice.printUrl, image bytes and uploads.
        mountSubgraphRoutes(app, routes);
      },
      // Ready only when every subgraph says it is ready (its database answers); /ready names each.
      isReady: async () => {
        const answers = await Promise.all(
          [...routingUrls.entries()].map(async ([name, url]) => {
            const ready = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(READY_TIMEOUT_MS) }).then(
              (response) => response.ok,
              () => false,
            );
            return [name, ready ? 'ready' : 'unavailable'] as const;
          }),
        );
        const checks = Object.fromEntries(answers.sort(([a], [b]) => a.localeCompare(b)));
        return { ready: answers.length > 0 && answers.every(([, state]) => state === 'ready'), checks };
      },
    },
    listen,
  );
  for (const feed of subgraphFeeds.values()) feed.start();
  return {
    ...service,
    async stop() {
      await service.stop();
      for (const feed of subgraphFeeds.values()) feed.stop();
      responseCache?.stop();
      poster.close();
      await rateLimiter.close();
      await slots.close();
    },
  };
}

export { operationDocuments, operationsPath } from './graphiql.js';
export { DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_LIMITS, DEFAULT_REQUEST_TIMEOUT_MS, exceedsTokenLimit, rememberedRequestLimitErrors, requestLimitErrors, type RequestLimits } from './limits.js';
export { createRateLimiter, DEFAULT_RATE_LIMITS, rateLimitWindow, type RateLimitSettings } from './rate-limits.js';
export { DEFAULT_SUBSCRIPTION_LIMITS, type SubscriptionLimits } from './live/subscription-server.js';
export { DEFAULT_WEBSOCKET_CONNECTIONS_PER_ADDRESS } from './live/websocket-transport.js';
export { liveOperation } from './live/live-operation.js';
export { readGatewayEnvironment } from './env.js';
export { DEFAULT_PUBLIC_CACHE_MAX_AGE_SECONDS, publicFieldsOf } from './http-caching.js';
export { answerDependencies, CACHE_STATUS_HEADER, DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS, DEFAULT_GATEWAY_CACHE_MAX_BYTES, FRESHNESS_MS } from './response-cache.js';
export { DEFAULT_MAX_FORWARDED_BODY_BYTES } from './subgraph-forward.js';
export { checkSubgraphsListed, subgraphsOfSupergraph, UnlistedSubgraphError } from './manifest-subgraphs.js';
export { buildPersistedDocuments, normalizedDocument, documentHash, persistedDocumentsPath, readPersistedDocuments } from './persisted-documents.js';
export { acceptsIncrementalDelivery } from './defer/incremental-delivery.js';
