// The benchmark's processes, each started by run.ts with its settings in BENCH_TARGET (JSON):
//   subgraph   one GreenCart subgraph (accounts, products, orders or reviews), NODE_ENV=production
//              behaviour, as `npm start` and production run them: a process each
//   greencart  (c) our gateway over those subgraphs, with `workers` processes sharing its port
//   hive       (d) Hive Gateway over the same subgraphs, the same way
//   monolith   (b) the subgraphs' resolvers in one non-federated @apollo/server (monolith.ts)
//   limit      (a) a bare node:http server on postgres.js: hand-written json_agg SQL per operation
// A process prints nothing and talks to run.ts over IPC:
//   → { type: 'ready', url, metricsUrl } once it listens (metricsUrl: GreenCart's processes)
//   ← { type: 'reset' } / { type: 'stats' } → { type: 'stats', statements, recent, maxRssBytes }
//   ← { type: 'gc' } → { type: 'gc' }      after a full collection, if started with --expose-gc
// run.ts runs it compiled (dist/targets.js, from tsconfig.build.json) on the services' compiled
// modules, and only the monolith through tsx.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import postgres from 'postgres';
import {
  buildUserTokenKeySet,
  createLocalUserTokenVerifier,
  createLogger,
  createRemoteUserTokenVerifier,
  loadServiceCredentials,
  createSubgraphClient,
  createUserTokenIssuer,
  databaseUrl,
  isSelfNotificationStatement,
  JWKS_PATH,
  publishedKeySet,
  repositoryRoot,
  startTracing,
  tracingEnabled,
  type ServiceName,
} from '@greencart/platform';
import { BENCH_DATABASES, freePort, perDatabase, TOKEN_SETTINGS, type DatabaseName } from './common.js';
// Each process imports only what its role runs (below, with await import), so that its peak RSS
// is its own code's: the limit server does not carry Apollo, nor our gateway Hive's.

/** The subgraphs the bench starts: those it has a database for. */
export type SubgraphName = DatabaseName;

/**
 * The service keys (PKCS#8 and SPKI PEMs) of every service that calls another, by name, made once
 * by run.ts for the manifest's callingServices() (the gateway, orders, reviews).
 */
export type BenchServiceKeys = Record<ServiceName, { privateKeyPem: string; publicKeyPem: string }>;
/** The targets compared, by the letters of the issue: (a) limit, (b) monolith, (c) greencart, (d) hive. */
export type TargetName = 'limit' | 'monolith' | 'greencart' | 'hive';

export type TargetSettings =
  | { role: 'limit'; serverUrl: string }
  | { role: 'monolith'; serverUrl: string; privateKeyPem: string }
  | {
      role: 'subgraph';
      subgraph: SubgraphName;
      serverUrl: string;
      serviceKeys: BenchServiceKeys;
      /** Accounts' signing key (PKCS#8 PEM): run.ts issues the customers' tokens with it. */
      privateKeyPem: string;
      /** Accounts' origin, for the published keys (all but accounts) and payment methods (orders). */
      accountsUrl?: string;
      /** Products' origin, for orders' stock and catalogue calls and reviews' product checks. */
      productsUrl?: string;
      /** Orders' origin, for reviews' purchases calls. */
      ordersUrl?: string;
      /** Where invoice links (orders), image and upload URLs (products) point. */
      gatewayUrl: string;
      /** Products: resizes at once (products' IMAGE_RESIZE_CONCURRENCY, as run.ts read it); unset, products' default. */
      imageResizeConcurrency?: number;
    }
  | {
      role: 'greencart' | 'hive';
      serviceKeys: BenchServiceKeys;
      subgraphUrls: Record<SubgraphName, string>;
      port: number;
      workers: number;
      /** (c) only, for the storefront's pages: browser origins let in by CORS, and production's safelist of persisted documents on. */
      corsOrigins?: string[];
      safelist?: boolean;
      /** GreenCart's gateway cache of public answers, at its defaults (BENCH_GATEWAY_CACHE=on, and the cached reads' scenario); off otherwise. */
      gatewayCache?: boolean;
      /** (d) only: Hive's response cache, keeping answers this long (the cached reads' scenario); off when unset. */
      hiveResponseCacheTtlMs?: number;
    };

export interface TargetStats {
  statements: Record<DatabaseName, number>;
  /** The statements since the last reset (the first 100, each cut to 300 characters), by database. */
  recent: { database: DatabaseName; statement: string }[];
  maxRssBytes: number;
}

const statements = perDatabase();
const recent: TargetStats['recent'] = [];
const countStatement = (name: DatabaseName) => (statement: string) => {
  // A change feed's self-notification, every 50 ms, is no request's cost.
  if (isSelfNotificationStatement(statement)) return;
  statements[name]++;
  if (recent.length < 100) recent.push({ database: name, statement: statement.replace(/\s+/g, ' ').slice(0, 300) });
};

/** Limits far above what the benchmark sends: it measures throughput, not the rate limiter. */
const UNLIMITED = { burst: 1_000_000_000, perSecond: 1_000_000_000 };
const LISTEN = { port: 0, host: '127.0.0.1' };
const logger = (service: string) => createLogger(service, 'warn', 'json', undefined, { traceIds: tracingEnabled() });

/** Where a target answers, and (GreenCart's processes) where its /metrics is. */
interface StartedTarget {
  url: string;
  metricsUrl?: string;
}
/** A service's credentials as production gives them: its own private key (if it calls anyone) and its callers' public keys, all from settings. */
const credentialsFor = async (keys: BenchServiceKeys, service: ServiceName) =>
  (
    await loadServiceCredentials({
      service,
      privateKeyPem: keys[service]?.privateKeyPem,
      callerPublicKeys: Object.fromEntries(Object.entries(keys).map(([caller, key]) => [caller, key.publicKeyPem])),
      // Every key is given, so nothing is read from (or written to) a data folder.
      dataDir: tmpdir(),
    })
  ).credentials;
const remoteVerifier = (accountsUrl: string) => createRemoteUserTokenVerifier({ ...TOKEN_SETTINGS, jwksUrl: `${accountsUrl}${JWKS_PATH}`, cacheSeconds: 300, refetchCooldownSeconds: 30 });

// ---------------------------------------------------------------- (c), (d): subgraphs and gateways

/** One subgraph, wired as test/support/supergraph.ts wires it, in production mode, on the bench databases. */
async function startBenchSubgraph(settings: Extract<TargetSettings, { role: 'subgraph' }>): Promise<StartedTarget> {
  const { serverUrl, serviceKeys } = settings;
  const onStatement = countStatement(settings.subgraph);
  const name = BENCH_DATABASES[settings.subgraph];
  if (settings.subgraph === 'accounts') {
    const { prepareAccountsDatabase, startAccountsService } = await import('@greencart/accounts');
    const keySet = await buildUserTokenKeySet({ privateKeyPem: settings.privateKeyPem });
    const publishedKeys = await publishedKeySet(keySet);
    const service = await startAccountsService(
      {
        production: true,
        database: await prepareAccountsDatabase({ serverUrl, name, onStatement }),
        issuer: await createUserTokenIssuer({ ...TOKEN_SETTINGS, signingKey: keySet.signingKey, ttlSeconds: 900 }),
        verifier: createLocalUserTokenVerifier({ ...TOKEN_SETTINGS, keySet: publishedKeys }),
        publishedKeys,
        jwksCacheSeconds: 300,
        credentials: await credentialsFor(serviceKeys, 'accounts'),
        logger: logger('accounts'),
      },
      LISTEN,
    );
    return { url: service.url, metricsUrl: service.metricsUrl };
  }
  const accountsUrl = settings.accountsUrl!;
  if (settings.subgraph === 'products') {
    const { prepareProductsDatabase, startProductsService } = await import('@greencart/products');
    const service = await startProductsService(
      {
        production: true,
        verifier: remoteVerifier(accountsUrl),
        database: await prepareProductsDatabase({ serverUrl, name, onStatement }),
        credentials: await credentialsFor(serviceKeys, 'products'),
        logger: logger('products'),
        // Image and upload URLs under the bench's (c) gateway, as PUBLIC_URL puts them under production's.
        images: { publicUrl: settings.gatewayUrl, ...(settings.imageResizeConcurrency && { resizeConcurrency: settings.imageResizeConcurrency }) },
      },
      LISTEN,
    );
    return { url: service.url, metricsUrl: service.metricsUrl };
  }
  if (settings.subgraph === 'reviews') {
    const { createCatalogueClient, createPurchasesClient, prepareReviewsDatabase, startReviewsService } = await import('@greencart/reviews');
    const credentials = await credentialsFor(serviceKeys, 'reviews');
    const client = (subgraph: ServiceName, url: string) => createSubgraphClient({ name: subgraph, url, credentials, timeoutMs: 15_000 });
    const service = await startReviewsService(
      {
        production: true,
        verifier: remoteVerifier(accountsUrl),
        database: await prepareReviewsDatabase({ serverUrl, name, onStatement }),
        credentials,
        catalogue: createCatalogueClient(client('products', settings.productsUrl!)),
        purchases: createPurchasesClient(client('orders', settings.ordersUrl!)),
        logger: logger('reviews'),
      },
      LISTEN,
    );
    return { url: service.url, metricsUrl: service.metricsUrl };
  }
  const { createAccountsClient, createInvoiceLinks, createStockClient, createTestPaymentProcessor, prepareOrdersDatabase, startOrdersService } = await import('@greencart/orders');
  const credentials = await credentialsFor(serviceKeys, 'orders');
  const client = (subgraph: ServiceName, url: string) => createSubgraphClient({ name: subgraph, url, credentials, timeoutMs: 15_000 });
  const service = await startOrdersService(
    {
      production: true,
      verifier: remoteVerifier(accountsUrl),
      database: await prepareOrdersDatabase({ serverUrl, name, onStatement }),
      credentials,
      products: client('products', settings.productsUrl!),
      stock: createStockClient(client('products', settings.productsUrl!)),
      accounts: createAccountsClient(client('accounts', accountsUrl)),
      processor: createTestPaymentProcessor(),
      invoiceLinks: createInvoiceLinks({ secret: randomBytes(32).toString('base64url'), publicUrl: settings.gatewayUrl }),
      logger: logger('orders'),
    },
    LISTEN,
  );
  return { url: service.url, metricsUrl: service.metricsUrl };
}

/** (c) or (d): one gateway process (a cluster worker when there are several) over the subgraph processes. */
async function startBenchGateway(settings: Extract<TargetSettings, { role: 'greencart' | 'hive' }>): Promise<StartedTarget> {
  const listen = { port: settings.port, host: '127.0.0.1' };
  const supergraphSdl = await readFile(`${repositoryRoot}/supergraph.graphql`, 'utf8');
  const credentials = await credentialsFor(settings.serviceKeys, 'gateway');
  if (settings.role === 'hive') {
    const { startHiveGateway } = await import('./hive-gateway.js');
    return { url: (await startHiveGateway({ supergraphSdl, subgraphUrls: settings.subgraphUrls, credentials, responseCacheTtlMs: settings.hiveResponseCacheTtlMs, ...listen })).url };
  }
  const { startGateway, DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS, DEFAULT_GATEWAY_CACHE_MAX_BYTES } = await import('@greencart/gateway');
  const gateway = await startGateway(
    {
      production: true,
      verifier: remoteVerifier(settings.subgraphUrls.accounts),
      supergraphSdl,
      subgraphUrls: settings.subgraphUrls,
      credentials,
      logger: logger('gateway'),
      subgraphTimeoutMs: 15_000,
      requestLimits: { maxDepth: 10, maxAliases: 15, maxDirectives: 20, maxTokens: 2_000, maxCost: 1_000_000 },
      rateLimits: { perAddress: UNLIMITED, perCustomer: UNLIMITED },
      // The subscribers (S1's thousand, the soak's) stand for browsers on many machines, but all connect from 127.0.0.1.
      webSocketConnectionsPerAddress: UNLIMITED.burst,
      corsOrigins: settings.corsOrigins,
      safelist: settings.safelist,
      responseCache: settings.gatewayCache ? { maxBytes: DEFAULT_GATEWAY_CACHE_MAX_BYTES, maxAgeSeconds: DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS } : false,
    },
    listen,
  );
  return { url: gateway.url, metricsUrl: gateway.metricsUrl };
}

/** (b) The monolith, counting its statements like the subgraphs do. */
async function startBenchMonolith(settings: Extract<TargetSettings, { role: 'monolith' }>): Promise<string> {
  const { startMonolith } = await import('./monolith.js');
  const monolith = await startMonolith({ serverUrl: settings.serverUrl, privateKeyPem: settings.privateKeyPem, onStatement: (database, statement) => countStatement(database)(statement), ...LISTEN });
  return monolith.url;
}

// ---------------------------------------------------------------- (a) the limit

const money = (cents: number | string) => ({ amount: (Number(cents) / 100).toFixed(2), currencyCode: 'EUR' });

/** Products with their categories by id, in one statement, as a map from id. */
const PRODUCTS_BY_ID = `
  select coalesce(json_object_agg(p.id, json_build_object(
    'id', p.id, 'name', p.name, 'priceCents', p.price_cents, 'stock', p.stock,
    'category', json_build_object('id', c.id, 'name', c.name))), '{}'::json) as products
  from products p join categories c on c.id = p.category_id
  where p.id = any($1::uuid[]) and p.status = 'ACTIVE'`;

/** Q1: an order and its lines (product ids) in one statement on orders. */
const ORDER_WITH_LINES = `
  select json_build_object('id', o.id, 'number', o.number, 'items', coalesce((
    select json_agg(json_build_object('id', i.id, 'quantity', i.quantity, 'productId', i.product_id) order by i.position)
    from order_items i where i.order_id = o.id), '[]'::json)) as "order"
  from orders o where o.id = $1 and o.customer_id = $2 and o.status <> 'PLACING'`;

/** Q2: a page of 50 active products of a category, by name, with the category, in one statement. */
const PRODUCT_PAGE = `
  select coalesce(json_agg(json_build_object('id', x.id, 'name', x.name, 'priceCents', x.price_cents, 'stock', x.stock,
    'category', json_build_object('id', x.category_id, 'name', x.category_name)) order by x.name, x.id), '[]'::json) as nodes
  from (select p.id, p.name, p.price_cents, p.stock, c.id as category_id, c.name as category_name
        from products p join categories c on c.id = p.category_id
        where p.category_id = $1 and p.status = 'ACTIVE' order by p.name, p.id limit 50) x`;

/** Q3: a customer's 10 newest orders with their lines' product ids, in one statement on orders. */
const RECENT_ORDERS = `
  select coalesce(json_agg(json_build_object('id', x.id, 'items', coalesce((
    select json_agg(json_build_object('productId', i.product_id) order by i.position)
    from order_items i where i.order_id = x.id), '[]'::json)) order by x.created_at desc, x.id desc), '[]'::json) as nodes
  from (select o.id, o.created_at from orders o where o.customer_id = $1 and o.status <> 'PLACING'
        order by o.created_at desc, o.id desc limit 10) x`;

interface ProductJson {
  id: string;
  name: string;
  priceCents: number;
  stock: number;
  category: { id: string; name: string };
}

/**
 * (a) The limit: no GraphQL, no federation, no token check; each operation is the fewest
 * statements the data allows. The data lives in two databases (orders, products), and PostgreSQL
 * does not join across databases, so Q1 and Q3 take two statements (one per database), Q2 one.
 * GET /q1?order=…&customer=…, /q2?category=…, /q3?customer=…
 */
export async function startLimitServer(settings: { serverUrl: string }): Promise<string> {
  const connect = (name: DatabaseName) =>
    postgres(databaseUrl(settings.serverUrl, BENCH_DATABASES[name]), { max: 10, onnotice: () => {}, debug: (_connection: unknown, statement: string) => countStatement(name)(statement) });
  const orders = connect('orders');
  const products = connect('products');
  const productsById = async (ids: string[]) => {
    const [row] = await products.unsafe(PRODUCTS_BY_ID, [[...new Set(ids)]], { prepare: true });
    return row!.products as Record<string, ProductJson>;
  };
  const productJson = (product: ProductJson | undefined, full: boolean) =>
    !product ? null : full ? { id: product.id, name: product.name, price: money(product.priceCents), stock: product.stock, category: product.category } : { name: product.name };

  const handlers: Record<string, (query: URLSearchParams) => Promise<unknown>> = {
    async '/q1'(query) {
      const [row] = await orders.unsafe(ORDER_WITH_LINES, [query.get('order')!, query.get('customer')!], { prepare: true });
      const order = row?.order as { id: string; number: string; items: { id: string; quantity: number; productId: string }[] } | undefined;
      if (!order) return { order: null };
      const byId = await productsById(order.items.map((item) => item.productId));
      return {
        order: { id: order.id, number: order.number, items: order.items.map((item) => ({ id: item.id, quantity: item.quantity, product: productJson(byId[item.productId], true) })) },
      };
    },
    async '/q2'(query) {
      const [row] = await products.unsafe(PRODUCT_PAGE, [query.get('category')!], { prepare: true });
      const nodes = row!.nodes as ProductJson[];
      return { products: { nodes: nodes.map((product) => productJson(product, true)) } };
    },
    async '/q3'(query) {
      const [row] = await orders.unsafe(RECENT_ORDERS, [query.get('customer')!], { prepare: true });
      const nodes = row!.nodes as { id: string; items: { productId: string }[] }[];
      const byId = await productsById(nodes.flatMap((order) => order.items.map((item) => item.productId)));
      return { me: { orders: { nodes: nodes.map((order) => ({ items: order.items.map((item) => ({ product: productJson(byId[item.productId], false) })) })) } } };
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = handlers[url.pathname];
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    handler(url.searchParams).then(
      (data) => {
        const body = JSON.stringify({ data });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      },
    );
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

// ---------------------------------------------------------------- the target's process

const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

/** Starts the process's part: the URL it answers on. */
async function start(settings: TargetSettings): Promise<StartedTarget> {
  // BENCH_TRACING: GreenCart's processes trace as they do with OTEL_EXPORTER_OTLP_ENDPOINT set (run.ts sets it).
  if (settings.role === 'subgraph' || settings.role === 'greencart') await startTracing(settings.role === 'subgraph' ? settings.subgraph : 'gateway', process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  switch (settings.role) {
    case 'limit':
      return { url: await startLimitServer(settings) };
    case 'monolith':
      return { url: await startBenchMonolith(settings) };
    case 'subgraph':
      return startBenchSubgraph(settings);
    case 'greencart':
    case 'hive':
      return startBenchGateway(settings);
  }
}

/** A gateway with several workers: cluster workers share its port; peak RSS is their sum. */
async function startGatewayWorkers(settings: Extract<TargetSettings, { role: 'greencart' | 'hive' }>): Promise<StartedTarget & { maxRssBytes(): Promise<number> }> {
  const workers = Array.from({ length: settings.workers }, () => cluster.fork({ BENCH_TARGET: JSON.stringify(settings) }));
  // Each worker has a metrics port of its own; the first one's stands for the gateway.
  const [metricsUrl] = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<string | undefined>((resolve, reject) => {
          worker.once('exit', (code) => reject(new Error(`a ${settings.role} worker exited (${code}) before it was ready`)));
          worker.on('message', (message: { type: string; error?: string; metricsUrl?: string }) => {
            if (message.type === 'ready') resolve(message.metricsUrl);
            if (message.type === 'failed') reject(new Error(message.error));
          });
        }),
    ),
  );
  const rssOf = (worker: (typeof workers)[number]) =>
    new Promise<number>((resolve) => {
      const listener = (message: { type: string; maxRssBytes?: number }) => {
        if (message.type !== 'stats') return;
        worker.off('message', listener);
        resolve(message.maxRssBytes!);
      };
      worker.on('message', listener);
      worker.send({ type: 'stats' });
    });
  return {
    url: `http://127.0.0.1:${settings.port}`,
    metricsUrl,
    maxRssBytes: async () => (await Promise.all(workers.map(rssOf))).reduce((sum, rss) => sum + rss, maxRssBytes()),
  };
}

function fail(error: unknown): never {
  process.send!({ type: 'failed', error: error instanceof Error ? error.stack : String(error) });
  process.exit(1);
}

if (cluster.isWorker && process.env.BENCH_TARGET) {
  const settings = JSON.parse(process.env.BENCH_TARGET) as TargetSettings;
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stats') process.send!({ type: 'stats', maxRssBytes: maxRssBytes() });
  });
  start(settings).then((started) => process.send!({ type: 'ready', metricsUrl: started.metricsUrl }), fail);
} else if (process.send && process.env.BENCH_TARGET) {
  const settings = JSON.parse(process.env.BENCH_TARGET) as TargetSettings;
  // run.ts stops the target when it is done with it: at once, requests in flight or not.
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    process.exit(0);
  });
  let rss = async () => maxRssBytes();
  process.on('message', (message: { type: string }) => {
    if (message.type === 'reset') {
      for (const name of Object.keys(statements) as DatabaseName[]) statements[name] = 0;
      recent.length = 0;
      process.send!({ type: 'reset' });
    } else if (message.type === 'gc') {
      // S1 weighs the gateway's memory per subscription after a full collection (run.ts starts it with --expose-gc).
      globalThis.gc?.();
      process.send!({ type: 'gc' });
    } else if (message.type === 'stats') {
      void rss().then((bytes) => process.send!({ type: 'stats', statements: { ...statements }, recent: [...recent], maxRssBytes: bytes }));
    }
  });
  const started =
    (settings.role === 'greencart' || settings.role === 'hive') && settings.workers > 1
      ? startGatewayWorkers(settings).then((workers) => {
          rss = workers.maxRssBytes;
          return workers;
        })
      : start(settings);
  started.then(({ url, metricsUrl }) => process.send!({ type: 'ready', url, metricsUrl }), fail);
}
