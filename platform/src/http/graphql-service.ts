import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type RequestHandler } from 'express';
import { answerClientErrors, answerUnhandledErrors, operationResolutionPlugin, readJsonBody, refuse } from './refusals.js';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { mayCall, type ServiceName } from '../auth/service-calls.js';
import { SERVICE_TOKEN_HEADER, type ServiceCredentials } from '../auth/service-credentials.js';
import { createErrorFormatter, ErrorCode } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { createServiceMetrics, metricsRoute, observeGraphQLRequests, operationNamePlugin, errorCodeLabel, type ServiceMetrics } from './metrics.js';
import { currentRequest, requestScope, requestScopeOf } from './request-id.js';
import { oneRequestTarget } from './request-target.js';
import { describeServerSpan, tracingEnabled } from '../tracing.js';

/**
 * The end client's address, as the gateway saw it, passed on to subgraphs (which believe it only
 * from a caller with service credentials): per-address limits such as the sign-in throttle need it.
 */
export const CLIENT_ADDRESS_HEADER = 'x-greencart-client-address';

/** Readiness with its parts: the gateway names each subgraph and whether it is ready. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ready' | 'unavailable'>;
}

/** What a context factory gets to know about one GraphQL request. */
export interface IncomingGraphQLRequest {
  headers: http.IncomingHttpHeaders;
  /** The GreenCart service that sent the request, proven by its service token (subgraphs only). */
  caller?: ServiceName;
  clientAddress: string | undefined;
  /** The request's id (`x-request-id`): the caller's, or a new one; pass it on to sibling services. */
  requestId: string;
  /** The service's logger with `requestId` on every line. */
  logger: Logger;
}

export interface GraphQLServiceOptions<TContext extends BaseContext> {
  name: ServiceName;
  /** A subgraph's schema, or … */
  schema?: GraphQLSchema;
  /** … the gateway that plans queries across subgraphs. */
  gateway?: GatewayInterface;
  context: (request: IncomingGraphQLRequest) => Promise<TContext>;
  production: boolean;
  logger: Logger;
  /** Subgraphs: GraphQL is answered only to callers with a valid service token. */
  requireServiceCredentials?: ServiceCredentials;
  /** `GET /ready` answers 200 only while this resolves true. */
  isReady: () => Promise<boolean | Readiness>;
  /** Gateway behind a reverse proxy: take the client address from the first X-Forwarded-For entry. */
  trustProxy?: boolean;
  /** Checks run on every GraphQL request after its body is read (the gateway's safelist). */
  beforeGraphQL?: RequestHandler[];
  /** The largest JSON body read, in bytes (default 1 MiB); a larger one is refused with HTTP 413. */
  maxBodyBytes?: number;
  /** How long a client may take to send a whole request, headers and body (default 30 s); then it gets HTTP 408. */
  requestTimeoutMs?: number;
  /** Extra routes (mounted before GraphQL). */
  routes?: (app: Express) => void;
  plugins?: ApolloServerPlugin<TContext>[];
  /** The service's metrics, served at `GET /metrics` on the metrics port (made here when not given; the gateway adds its subgraph calls). */
  metrics?: ServiceMetrics;
  /** WebSocket service on the same HTTP server (the gateway's subscriptions); stopped before GraphQL is. */
  websocket?: (server: { httpServer: http.Server; execute: OperationExecutor<TContext>; clientAddress: (request: http.IncomingMessage) => string | undefined }) => { stop(): Promise<void> };
}

/** Runs one operation through the service's whole GraphQL pipeline with a given context, as a request would. */
export type OperationExecutor<TContext> = (
  request: { query: string; variables: Record<string, unknown> },
  context: TContext,
) => Promise<{ data?: Record<string, unknown> | null; errors?: readonly GraphQLFormattedError[] }>;

export interface RunningService {
  url: string;
  port: number;
  /** Where `GET /metrics` is served: the internal metrics port, never the public one. */
  metricsUrl: string;
  metricsPort: number;
  stop(): Promise<void>;
}

/** Where a service listens: its public port, and the internal one for Prometheus (each 0: any free one). */
export interface ListenAddress {
  port: number;
  host: string;
  /** METRICS_PORT; default 0 (any free one). */
  metricsPort?: number;
}

const READINESS_TIMEOUT_MS = 2_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Builds and starts one GreenCart GraphQL process (a subgraph or the gateway) on `port` (0: any free one). */
export async function startGraphQLService<TContext extends BaseContext>(options: GraphQLServiceOptions<TContext>, listen: ListenAddress): Promise<RunningService> {
  const app = express();
  app.disable('x-powered-by');
  // No ETags from Express: hashing every response body was a cost on every request. The gateway tags
  // public GETs' answers itself (gateway/src/http-caching.ts); res.send still answers 304 to those.
  app.set('etag', false);
  app.use(requestScope(options.logger));
  // Before any route: every check, route and Apollo read the same path and parameters.
  app.use(oneRequestTarget(app));
  const metrics = options.metrics ?? createServiceMetrics(options.name);
  const formatError = createErrorFormatter({
    production: options.production,
    log: (error) => {
      const request = currentRequest();
      (request?.logger ?? options.logger).error('unexpected error', { operation: request?.operationName, ...errorFields(error) });
    },
  });
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const httpServer = http.createServer(
    // A request (headers and body) not received within its deadline is answered 408, checked every
    // second: a slowly sent body holds a connection no longer than a slow answer would.
    { requestTimeout: requestTimeoutMs, headersTimeout: Math.min(requestTimeoutMs, 60_000), connectionsCheckingInterval: 1_000 },
    app,
  );
  httpServer.keepAliveTimeout = 65_000;
  answerClientErrors(httpServer, options.logger);

  const apollo = new ApolloServer<TContext>({
    ...(options.gateway ? { gateway: options.gateway } : { schema: options.schema as GraphQLSchema }),
    introspection: !options.production,
    includeStacktraceInErrorResponses: !options.production,
    hideSchemaDetailsFromClientErrors: options.production,
    // Cross-site request forgery needs a request a page can send without a preflight; ours are a
    // POST of JSON (which needs one) or a GET of a query (refused for mutations, 405), and credentials
    // travel only in Authorization, which no cross-site form can set. readJsonBody refuses every
    // other POST, so Apollo's check, which also refused plain GET queries, is not needed.
    csrfPrevention: false,
    // Signals are stopOnSignals' to handle: Apollo's own handler raced it, and the stop() it left
    // waiting never finished, so every subgraph stayed up until npm start killed it 10 s later.
    stopOnTerminationSignals: false,
    // Apollo's own warnings go through the service's logger (structured, redacted) rather than the console.
    logger: {
      debug: (message) => options.logger.debug(String(message)),
      info: (message) => options.logger.info(String(message)),
      warn: (message) => options.logger.warn(String(message)),
      error: (message) => options.logger.error(String(message)),
    },
    formatError: (formatted, error) => {
      const answer = formatError(formatted, error);
      currentRequest()?.errorCodes.push(errorCodeLabel(answer.extensions?.code));
      return answer;
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      // Apollo's cache hints are not used (the gateway's public fields are marked @public in the
      // subgraphs instead), and the cache-control plugin would wrap every field's resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      operationNamePlugin,
      operationResolutionPlugin,
      ...(options.plugins ?? []),
    ],
  });
  await apollo.start();

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: options.name });
  });
  app.get('/ready', async (_req, res) => {
    const answer = await withTimeout(options.isReady(), READINESS_TIMEOUT_MS).catch(() => false);
    const { ready, checks } = typeof answer === 'boolean' ? { ready: answer, checks: undefined } : answer;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', service: options.name, ...(checks ? { checks } : {}) });
  });
  options.routes?.(app);

  const credentials = options.requireServiceCredentials;
  app.use(
    '/graphql',
    // Only with tracing on: otherwise no request pays for it.
    ...(tracingEnabled() ? [describeServerSpan('/graphql', (res) => requestScopeOf(res).requestId)] : []),
    observeGraphQLRequests(metrics),
    // Credentials first: a caller without them learns nothing, not even whether its body parses.
    async (req, res, next) => {
      if (!credentials) return next();
      const caller = await credentials.verify(req.get(SERVICE_TOKEN_HEADER));
      if (!caller) return refuse(res, 401, 'This service answers only other GreenCart services.', ErrorCode.UNAUTHENTICATED);
      if (!mayCall(caller, options.name, 'graphql')) return refuse(res, 403, `This service does not answer GraphQL to ${caller}.`, ErrorCode.FORBIDDEN);
      res.locals.caller = caller;
      next();
    },
    readJsonBody(options.maxBodyBytes ?? 1024 * 1024),
    ...(options.beforeGraphQL ?? []),
    expressMiddleware(apollo, {
      context: async ({ req, res }) =>
        options.context({
          headers: req.headers,
          caller: res.locals.caller as ServiceName | undefined,
          clientAddress: clientAddress(req, res.locals.caller !== undefined, options.trustProxy ?? false),
          requestId: requestScopeOf(res).requestId,
          logger: requestScopeOf(res).logger,
        }),
    }),
  );
  app.use((_req, res) => refuse(res, 404, 'Nothing is served at this path: GraphQL is at /graphql.', ErrorCode.NOT_FOUND));
  app.use(answerUnhandledErrors(options.logger));

  await listenOn(httpServer, listen.port, listen.host);
  // /metrics names every operation and subgraph, so it has a port of its own that is never exposed.
  const metricsServer = http.createServer(metricsApp(metrics));
  await listenOn(metricsServer, listen.metricsPort ?? 0, listen.host).catch(async (error: unknown) => {
    // Apollo's drain plugin closes the public server too.
    await apollo.stop();
    throw error;
  });
  const metricsPort = (metricsServer.address() as AddressInfo).port;
  const websocket = options.websocket?.({
    httpServer,
    execute: async (request, contextValue) => {
      const response = await apollo.executeOperation(request, { contextValue });
      return response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
    },
    // A WebSocket's upgrade request has its client address by the same rules as any request (no service calls it).
    clientAddress: (request) => clientAddress(request, false, options.trustProxy ?? false),
  });
  const { port } = httpServer.address() as AddressInfo;
  options.logger.info('listening', { url: `http://${listen.host}:${port}/graphql`, metrics: `http://${listen.host}:${metricsPort}/metrics` });

  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host;
  return {
    url: `http://${host}:${port}`,
    port,
    metricsUrl: `http://${host}:${metricsPort}/metrics`,
    metricsPort,
    async stop() {
      await websocket?.stop();
      await apollo.stop();
      metricsServer.closeAllConnections();
      await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    },
  };
}

/** The metrics port's app: `GET /metrics`, and 404 for anything else. */
function metricsApp(metrics: ServiceMetrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/metrics', metricsRoute(metrics));
  app.use((_req, res) => {
    res.status(404).json({ error: 'Only GET /metrics is served on this port.' });
  });
  return app;
}

function listenOn(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

const ADDRESS = /^[0-9A-Fa-f.:]{2,45}$/;

/** The end client's address: passed on by a GreenCart service, told by a trusted proxy, or the socket's. */
function clientAddress(req: http.IncomingMessage, fromService: boolean, trustProxy: boolean): string | undefined {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const passedOn = header(CLIENT_ADDRESS_HEADER);
  if (fromService && passedOn && ADDRESS.test(passedOn)) return passedOn;
  const forwarded = header('x-forwarded-for')?.split(',')[0]?.trim();
  if (trustProxy && forwarded && ADDRESS.test(forwarded)) return forwarded;
  return req.socket.remoteAddress;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())]);
}
