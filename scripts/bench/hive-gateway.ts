// Benchmark target (d), issue #8: Hive Gateway (`@graphql-hive/gateway`) with the Rust query
// planner of `@graphql-hive/router-runtime`, over the same supergraph.graphql and subgraphs as our
// gateway. It is what `hive-gateway supergraph --hive-router-runtime` runs, started in process
// through the programmatic runtime so that the bench can pass it the subgraphs' addresses and our
// service credentials.
//
// Production-like and fair: no GraphiQL or landing page, warn-level logs, no usage reporting or
// telemetry (nothing leaves loopback), Hive's defaults otherwise: its own parse, validation and
// query plan caches stay on, and no response cache is added unless asked (responseCacheTtlMs: its
// documented response caching, in memory, one cache for every request without a token).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import InMemoryLRUCache from '@graphql-mesh/cache-inmemory-lru';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { SERVICE_TOKEN_HEADER, serviceNamed, type ServiceCredentials } from '@greencart/platform';

export interface HiveGatewayOptions {
  /** The composed supergraph schema (the contents of supergraph.graphql). */
  supergraphSdl: string;
  /**
   * Where each subgraph listens, overriding the supergraph's join__graph URLs: an origin such as
   * http://127.0.0.1:4001 (what a started subgraph's `.url` is, and what our gateway takes); the
   * GraphQL path /graphql is added, as our gateway does.
   */
  subgraphUrls: Record<string, string>;
  /** The gateway's service credentials: subgraphs answer 401 without its service token. */
  credentials: ServiceCredentials;
  /** 0: any free port. */
  port: number;
  host: string;
  /** Hive's response cache on, keeping each answer this long (its `ttl`); off when unset. */
  responseCacheTtlMs?: number;
}

export interface RunningHiveGateway {
  /** The base URL (http://host:port); GraphQL is served at `${url}/graphql`. */
  url: string;
  stop(): Promise<void>;
}

/** Starts Hive Gateway on node:http and resolves once the supergraph is loaded and it listens. */
export async function startHiveGateway(options: HiveGatewayOptions): Promise<RunningHiveGateway> {
  const subgraphLocations = Object.fromEntries(Object.entries(options.subgraphUrls).map(([subgraph, origin]) => [subgraph, { location: new URL('/graphql', origin).toString() }]));

  const runtime = createGatewayRuntime({
    supergraph: options.supergraphSdl,
    // The Rust query planner (Hive Router's, a native addon) and its executor, in place of the
    // default JavaScript stitching planner: the documented `unifiedGraphHandler` of router-runtime.
    unifiedGraphHandler,
    transportEntries: subgraphLocations,
    // Every subgraph call carries our service token and the client's bearer token (each subgraph
    // verifies the customer's token itself), as our gateway's SubgraphDataSource does.
    propagateHeaders: {
      fromClientToSubgraphs: async ({ request, subgraphName }) => ({
        [SERVICE_TOKEN_HEADER]: await options.credentials.token(serviceNamed(subgraphName)),
        authorization: request.headers.get('authorization'),
      }),
    },
    ...(options.responseCacheTtlMs && {
      // Its response caching as documented: answers in its in-memory LRU cache, one session per
      // Authorization header (a request without one shares the public session), kept for the TTL.
      cache: new InMemoryLRUCache(),
      responseCaching: { session: (request: Request) => request.headers.get('authorization'), ttl: options.responseCacheTtlMs },
    }),
    graphqlEndpoint: '/graphql',
    graphiql: false,
    landingPage: false,
    logging: 'warn',
  });

  // Load the supergraph and build the Rust planner now, so that a bad schema fails here and the
  // first request does not pay for it.
  await runtime.getSchema();

  // Hive Gateway's documented use: its runtime answers (and catches) every request itself.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  const server = createServer(runtime);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await runtime.dispose();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;

  return {
    url: `http://${host}:${port}`,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await runtime.dispose();
    },
  };
}
