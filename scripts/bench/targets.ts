// The benchmark's targets, each started in a process of its own by run.ts (so that autocannon and
// the target do not share a CPU's event loop, and the target's peak RSS is its own):
//   greencart  (c) our gateway and the three subgraphs, NODE_ENV=production behaviour
//   limit      (a) a bare node:http server on postgres.js: hand-written json_agg SQL per operation
// The process reads its settings from BENCH_TARGET (JSON), prints nothing, and talks over IPC:
//   → { type: 'ready', url }            once it listens
//   ← { type: 'reset' } / { type: 'stats' } → { type: 'stats', statements, maxRssBytes }
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import postgres from 'postgres';
import {
  buildUserTokenKeySet,
  createLocalUserTokenVerifier,
  createLogger,
  createRemoteUserTokenVerifier,
  createServiceCredentials,
  createSubgraphClient,
  createUserTokenIssuer,
  databaseUrl,
  JWKS_PATH,
  publishedKeySet,
  repositoryRoot,
  type ServiceName,
} from '@greencart/platform';
import { prepareAccountsDatabase, startAccountsService } from '@greencart/accounts';
import { createAccountsClient, createInvoiceLinks, createStockClient, createTestPaymentProcessor, prepareOrdersDatabase, startOrdersService } from '@greencart/orders';
import { prepareProductsDatabase, startProductsService } from '@greencart/products';
import { startGateway } from '@greencart/gateway';
import { BENCH_DATABASES, freePort, TOKEN_SETTINGS, type DatabaseName } from './common.js';

export type TargetName = 'greencart' | 'limit';

export interface TargetSettings {
  target: TargetName;
  serverUrl: string;
  /** Accounts' signing key (PKCS#8 PEM): run.ts issues the customers' tokens with it. */
  privateKeyPem: string;
}

type Counts = Record<DatabaseName, number>;
const statements: Counts = { accounts: 0, orders: 0, products: 0 };
const recent: { database: DatabaseName; statement: string }[] = [];
const counter = (name: DatabaseName) => (_connection: unknown, statement: string) => {
  statements[name]++;
  if (recent.length < 100) recent.push({ database: name, statement: statement.replace(/\s+/g, ' ').slice(0, 300) });
};

/** Limits far above what the benchmark sends: it measures throughput, not the rate limiter. */
const UNLIMITED = { burst: 1_000_000_000, perSecond: 1_000_000_000 };

/** (c) The supergraph as test/support/supergraph.ts wires it, in production mode, on the bench databases. */
export async function startGreenCart(settings: TargetSettings): Promise<string> {
  const { serverUrl } = settings;
  const logger = (service: string) => createLogger(service, 'warn', 'json');
  const serviceSecret = randomBytes(32).toString('base64url');
  const credentialsFor = (serviceName: ServiceName) => createServiceCredentials({ secret: serviceSecret, serviceName });
  const listen = { port: 0, host: '127.0.0.1' };
  const [accountsDb, ordersDb, productsDb] = await Promise.all([
    prepareAccountsDatabase({ serverUrl, name: BENCH_DATABASES.accounts, onStatement: (statement) => counter('accounts')(undefined, statement) }),
    prepareOrdersDatabase({ serverUrl, name: BENCH_DATABASES.orders, onStatement: (statement) => counter('orders')(undefined, statement) }),
    prepareProductsDatabase({ serverUrl, name: BENCH_DATABASES.products, onStatement: (statement) => counter('products')(undefined, statement) }),
  ]);

  const keySet = await buildUserTokenKeySet({ privateKeyPem: settings.privateKeyPem });
  const publishedKeys = await publishedKeySet(keySet);
  const accounts = await startAccountsService(
    {
      production: true,
      database: accountsDb,
      issuer: await createUserTokenIssuer({ ...TOKEN_SETTINGS, signingKey: keySet.signingKey, ttlSeconds: 900 }),
      verifier: createLocalUserTokenVerifier({ ...TOKEN_SETTINGS, keySet: publishedKeys }),
      publishedKeys,
      jwksCacheSeconds: 300,
      credentials: credentialsFor('accounts'),
      logger: logger('accounts'),
    },
    listen,
  );
  const jwksUrl = `${accounts.url}${JWKS_PATH}`;
  const remoteVerifier = () => createRemoteUserTokenVerifier({ ...TOKEN_SETTINGS, jwksUrl, cacheSeconds: 300, refetchCooldownSeconds: 30 });
  const products = await startProductsService(
    { production: true, verifier: remoteVerifier(), database: productsDb, credentials: credentialsFor('products'), logger: logger('products') },
    listen,
  );
  const gatewayPort = await freePort();
  const ordersCredentials = credentialsFor('orders');
  const ordersClient = (name: string, url: string) => createSubgraphClient({ name, url, credentials: ordersCredentials, timeoutMs: 15_000 });
  const orders = await startOrdersService(
    {
      production: true,
      verifier: remoteVerifier(),
      database: ordersDb,
      credentials: ordersCredentials,
      products: ordersClient('products', products.url),
      stock: createStockClient(ordersClient('products', products.url)),
      accounts: createAccountsClient(ordersClient('accounts', accounts.url)),
      processor: createTestPaymentProcessor(),
      invoiceLinks: createInvoiceLinks({ secret: randomBytes(32).toString('base64url'), publicUrl: `http://127.0.0.1:${gatewayPort}` }),
      logger: logger('orders'),
    },
    listen,
  );
  const gateway = await startGateway(
    {
      production: true,
      verifier: remoteVerifier(),
      supergraphSdl: await readFile(`${repositoryRoot}/supergraph.graphql`, 'utf8'),
      subgraphUrls: { accounts: accounts.url, orders: orders.url, products: products.url },
      credentials: credentialsFor('gateway'),
      logger: logger('gateway'),
      subgraphTimeoutMs: 15_000,
      requestLimits: { maxDepth: 10, maxAliases: 15, maxDirectives: 20, maxTokens: 2_000, maxCost: 1_000_000 },
      rateLimits: { perAddress: UNLIMITED, perCustomer: UNLIMITED },
    },
    { ...listen, port: gatewayPort },
  );
  return gateway.url;
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
export async function startLimitServer(settings: TargetSettings): Promise<string> {
  const connect = (name: DatabaseName) =>
    postgres(databaseUrl(settings.serverUrl, BENCH_DATABASES[name]), { max: 10, onnotice: () => {}, debug: counter(name) });
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

if (process.send && process.env.BENCH_TARGET) {
  const settings = JSON.parse(process.env.BENCH_TARGET) as TargetSettings;
  const start = settings.target === 'greencart' ? startGreenCart : startLimitServer;
  // run.ts stops the target when it is done with it: at once, requests in flight or not.
  process.on('SIGTERM', () => process.exit(0));
  process.on('message', (message: { type: string }) => {
    if (message.type === 'reset') {
      for (const name of Object.keys(statements) as DatabaseName[]) statements[name] = 0;
      recent.length = 0;
      process.send!({ type: 'reset' });
    } else if (message.type === 'stats') {
      process.send!({ type: 'stats', statements: { ...statements }, recent: [...recent], maxRssBytes: process.resourceUsage().maxRSS * 1024 });
    }
  });
  start(settings).then(
    (url) => process.send!({ type: 'ready', url }),
    (error: unknown) => {
      process.send!({ type: 'failed', error: error instanceof Error ? error.stack : String(error) });
      process.exit(1);
    },
  );
}
