import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createClient, createLiveClient, GreenCartRequestError, OrderUpdatedDocument, ProductUpdatedDocument, type GreenCartClient } from '@greencart/client';
import {
  createSubgraphClient,
  databaseUrl,
  demoShoppers,
  dropDatabase,
  generateServiceKey,
  JWKS_PATH,
  loadServiceCredentials,
  repositoryRoot,
  SERVICE_TOKEN_HEADER,
  type ServiceCredentials,
} from '@greencart/platform';
import { createStockClient } from '@greencart/orders';
import { subscriptionsOpen } from './support/live-updates.js';
import { freePort } from './support/ports.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './support/round-robin-proxy.js';
import { newSigningKeyPair } from './support/tokens.js';
import { ENTRY, SERVICES, type Service } from './support/service-entries.js';

/**
 * GreenCart scaled out on one PostgreSQL server: two gateways and two processes of each subgraph,
 * each process started as a deployment starts it (its own entry point, configuration from the
 * environment), all at once on empty databases, every tier behind a round-robin load balancer.
 * Clients and services see only the balancers' addresses.
 */
const ADMIN = { email: 'admin@greencart.dev', password: 'replicas-admin-password' };
const CARD = { cardNumber: '4242 4242 4242 4242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };

interface Replica {
  service: Service;
  port: number;
  /** Its internal port for /metrics (METRICS_PORT). */
  metricsPort: number;
  child: ChildProcess;
  output: string[];
}

const serverUrl = inject('postgresServerUrl');
const suffix = randomBytes(4).toString('hex');
const DATABASES = { accounts: `replicas_accounts_${suffix}`, orders: `replicas_orders_${suffix}`, products: `replicas_products_${suffix}`, reviews: `replicas_reviews_${suffix}` };
const replicas: Record<Service, Replica[]> = { products: [], accounts: [], orders: [], reviews: [], gateway: [] };
const balancers = {} as Record<Service, RoundRobinProxy>;
let environment: Record<Service, Record<string, string>>;
/** The gateway's and orders' credentials, from the keys their processes were given. */
let credentials: { gateway: ServiceCredentials; orders: ServiceCredentials };
let ordersDb: postgres.Sql;
let productsDb: postgres.Sql;
let accountsDb: postgres.Sql;
let reviewsDb: postgres.Sql;
let anonymous: GreenCartClient;
let admin: GreenCartClient;
let categoryId: string;
let crowdOf40: Promise<Buyer[]> | undefined;
/** Forty registered buyers with a card each, made once: the crowd that races for stock, and buys again in the burst. */
const crowd = () => (crowdOf40 ??= Promise.all(Array.from({ length: 40 }, (_, index) => registerBuyer(`crowd-${index}`))));

function startReplica(service: Service, port: number, metricsPort: number): Replica {
  const child = spawn(process.execPath, ['--conditions=@greencart/source', '--import', 'tsx', join(repositoryRoot, ENTRY[service])], {
    cwd: repositoryRoot,
    env: { ...process.env, ...environment[service], PORT: String(port), METRICS_PORT: String(metricsPort) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => output.push(chunk));
  return { service, port, metricsPort, child, output };
}

async function waitUntilServing(replica: Replica, path = '/health'): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (replica.child.exitCode !== null) throw new Error(`${replica.service} on ${replica.port} exited (${replica.child.exitCode}): ${replica.output.join('').slice(-2000)}`);
    if (
      await fetch(`http://127.0.0.1:${replica.port}${path}`).then(
        (response) => response.ok,
        () => false,
      )
    )
      return;
    await sleep(250);
  }
  throw new Error(`${replica.service} on ${replica.port} did not come up: ${replica.output.join('').slice(-2000)}`);
}

function stopReplica(replica: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    replica.child.once('exit', () => resolve());
    replica.child.kill(signal);
    setTimeout(() => replica.child.kill('SIGKILL'), 10_000).unref();
  });
}

/** One replica's /metrics text ('' when it does not answer). */
const metricsOf = (replica: Replica) =>
  fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`).then(
    (response) => response.text(),
    () => '',
  );

/** GraphQL requests for `field` answered, in one /metrics text. */
const requestsIn = (metrics: string, field: RegExp) =>
  [...metrics.matchAll(/^greencart_graphql_requests_total\{[^}]*operation="([^"]*)"[^}]*\} (\d+)$/gm)]
    .filter(([, operation]) => field.test(operation!))
    .reduce((sum, match) => sum + Number(match[2]), 0);

/** GraphQL requests received and not yet answered, in one /metrics text. */
const inFlightIn = (metrics: string) => Number(/^greencart_graphql_requests_in_flight(?:\{[^}]*\})? (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);

/** How many GraphQL requests for `field` each replica of `service` has answered (its /metrics). */
async function requestsPerReplica(service: Service, field: RegExp): Promise<number[]> {
  return Promise.all(replicas[service].map(async (replica) => requestsIn(await metricsOf(replica), field)));
}

/** Each count's rise from `before` to `after`. */
const rise = (before: number[], after: number[]) => after.map((count, index) => count - before[index]!);

interface LogLine {
  time: string;
  level: string;
  message: string;
  [field: string]: unknown;
}

/** The JSON log lines a replica has written to stderr so far. */
function logLinesOf(replica: Replica): LogLine[] {
  return replica.output
    .join('')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

/** A fetch that opens a connection of its own for every request, so the balancer spreads even sequential requests. */
const fetchOverNewConnection: typeof fetch = (input, init) =>
  new Promise((resolve, reject) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const request = httpRequest(
      String(input),
      { method: init?.method ?? 'GET', headers: { ...(init?.headers as Record<string, string>), 'content-length': String(Buffer.byteLength(body)) }, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 500 })));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });

/** A client of the gateways' balancer whose requests land on either gateway. */
function spreadingClient(token?: string): GreenCartClient {
  return createClient({ url: `${balancers.gateway.url}/graphql`, token, fetch: fetchOverNewConnection });
}

interface Buyer {
  client: GreenCartClient;
  token: string;
  paymentMethodId: string;
}

async function registerBuyer(label: string): Promise<Buyer> {
  const { register } = await anonymous.Register({ input: { email: `${label}-${randomUUID()}@example.com`, password: 'correct horse battery', name: `Buyer ${label}` } });
  const client = spreadingClient(register!.token!);
  const { addPaymentMethod } = await client.AddPaymentMethod({ input: CARD });
  return { client, token: register!.token!, paymentMethodId: addPaymentMethod!.paymentMethod!.id };
}

async function createProduct(stock: number, price = '12.50'): Promise<string> {
  const { createProduct } = await admin.CreateProduct({ input: { sku: `replica-${randomUUID().slice(0, 8)}`, name: 'Replicated oats', price, stock, categoryId } });
  expect(createProduct?.userErrors).toEqual([]);
  return createProduct!.product!.id;
}

const stockOf = async (productId: string) => Number((await productsDb`select stock from products where id = ${productId}`)[0]!.stock);

beforeAll(async () => {
  const keys = await newSigningKeyPair();
  // Service keys as production gives them: each caller's private key to its own processes only, its public key to its callees.
  const serviceKeys = { gateway: await generateServiceKey(), orders: await generateServiceKey(), reviews: await generateServiceKey() };
  const publicKeys = {
    GATEWAY_SERVICE_PUBLIC_KEYS: serviceKeys.gateway.publicKeyPem,
    ORDERS_SERVICE_PUBLIC_KEYS: serviceKeys.orders.publicKeyPem,
    REVIEWS_SERVICE_PUBLIC_KEYS: serviceKeys.reviews.publicKeyPem,
  };
  const ports = {} as Record<Service, number[]>;
  for (const service of SERVICES) ports[service] = [await freePort(), await freePort()];
  // Each tier's balancer first: every process is configured with balancers' addresses only.
  for (const service of SERVICES) balancers[service] = await startRoundRobinProxy(ports[service]!.map((port) => ({ port })));
  const common = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: serverUrl,
    JWKS_URL: `${balancers.accounts.url}${JWKS_PATH}`,
    GREENCART_DATA_DIR: join(repositoryRoot, '.data', `replicas-${suffix}`),
  };
  environment = {
    products: { ...common, ...publicKeys, PRODUCTS_DATABASE_NAME: DATABASES.products },
    accounts: { ...common, ...publicKeys, ACCOUNTS_DATABASE_NAME: DATABASES.accounts, JWT_PRIVATE_KEY: keys.privateKeyPem, GREENCART_ADMIN_PASSWORD: ADMIN.password },
    orders: {
      ...common,
      SERVICE_PRIVATE_KEY: serviceKeys.orders.privateKeyPem,
      GATEWAY_SERVICE_PUBLIC_KEYS: publicKeys.GATEWAY_SERVICE_PUBLIC_KEYS,
      REVIEWS_SERVICE_PUBLIC_KEYS: publicKeys.REVIEWS_SERVICE_PUBLIC_KEYS,
      ORDERS_DATABASE_NAME: DATABASES.orders,
      PRODUCTS_URL: balancers.products.url,
      ACCOUNTS_URL: balancers.accounts.url,
      INVOICE_LINK_SECRET: randomBytes(32).toString('base64url'),
      ORDER_RECOVERY_INTERVAL_SECONDS: '1',
    },
    reviews: {
      ...common,
      SERVICE_PRIVATE_KEY: serviceKeys.reviews.privateKeyPem,
      GATEWAY_SERVICE_PUBLIC_KEYS: publicKeys.GATEWAY_SERVICE_PUBLIC_KEYS,
      REVIEWS_DATABASE_NAME: DATABASES.reviews,
      PRODUCTS_URL: balancers.products.url,
      ORDERS_URL: balancers.orders.url,
    },
    gateway: {
      ...common,
      SERVICE_PRIVATE_KEY: serviceKeys.gateway.privateKeyPem,
      ACCOUNTS_URL: balancers.accounts.url,
      ORDERS_URL: balancers.orders.url,
      PRODUCTS_URL: balancers.products.url,
      REVIEWS_URL: balancers.reviews.url,
      RATE_LIMIT_ADDRESS_BURST: '100000',
      RATE_LIMIT_ADDRESS_PER_SECOND: '100000',
      RATE_LIMIT_CUSTOMER_BURST: '100000',
      RATE_LIMIT_CUSTOMER_PER_SECOND: '100000',
    },
  };
  const given = async (service: 'gateway' | 'orders') =>
    (
      await loadServiceCredentials({
        service,
        privateKeyPem: serviceKeys[service].privateKeyPem,
        callerPublicKeys: { gateway: publicKeys.GATEWAY_SERVICE_PUBLIC_KEYS },
        dataDir: common.GREENCART_DATA_DIR,
      })
    ).credentials;
  credentials = { gateway: await given('gateway'), orders: await given('orders') };
  // Every process at once, on databases that do not exist yet: both replicas of a subgraph create
  // its database and migrate it together.
  for (const service of SERVICES) replicas[service] = await Promise.all(ports[service]!.map(async (port) => startReplica(service, port, await freePort())));
  await Promise.all(SERVICES.flatMap((service) => replicas[service].map((replica) => waitUntilServing(replica, service === 'gateway' ? '/ready' : '/health'))));

  ordersDb = postgres(databaseUrl(serverUrl, DATABASES.orders), { max: 2, onnotice: () => {} });
  productsDb = postgres(databaseUrl(serverUrl, DATABASES.products), { max: 2, onnotice: () => {} });
  accountsDb = postgres(databaseUrl(serverUrl, DATABASES.accounts), { max: 2, onnotice: () => {} });
  reviewsDb = postgres(databaseUrl(serverUrl, DATABASES.reviews), { max: 2, onnotice: () => {} });
  anonymous = spreadingClient();
  const { login } = await anonymous.Login({ input: ADMIN });
  admin = spreadingClient(login!.token!);
  categoryId = (await anonymous.Categories()).categories![0]!.id;
}, 120_000);

afterAll(async () => {
  await Promise.all(SERVICES.flatMap((service) => replicas[service].map((replica) => stopReplica(replica))));
  await Promise.all(Object.values(balancers).map((balancer) => balancer.stop()));
  await Promise.all([ordersDb?.end(), productsDb?.end(), accountsDb?.end(), reviewsDb?.end()]);
  await Promise.all(Object.values(DATABASES).map((name) => dropDatabase(serverUrl, name)));
}, 60_000);

describe('two processes of every service on one database, behind round-robin balancers', () => {
  it('started together on empty databases, migrated each database once', async () => {
    for (const [service, name] of Object.entries(DATABASES) as Array<[keyof typeof DATABASES, string]>) {
      const journal = JSON.parse(readFileSync(join(repositoryRoot, 'subgraphs', service, 'migrations', 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
      const db = { orders: ordersDb, products: productsDb, accounts: accountsDb, reviews: reviewsDb }[service];
      const [{ applied }] = (await db`select count(*)::int as applied from drizzle.__drizzle_migrations`) as unknown as [{ applied: number }];
      expect(applied, `${name}: migrations recorded`).toBe(journal.entries.length);
    }
    // Both seeders ran; one administrator and one demo catalogue came of it.
    expect((await accountsDb`select count(*)::int as n from customers where role = 'ADMIN'`)[0]!.n).toBe(1);
    const [{ products, skus }] = (await productsDb`select count(*)::int as products, count(distinct lower(sku))::int as skus from products`) as unknown as [{ products: number; skus: number }];

    expect(products).toBeGreaterThan(0);
    expect(products).toBe(skus);
    // And one set of demo shoppers and one demo order history, though both orders processes seeded it.
    expect((await accountsDb`select count(*)::int as n from customers where email like '%@shoppers.greencart.dev'`)[0]!.n).toBe(demoShoppers.length);
    expect((await ordersDb`select count(*)::int as n from orders where idempotency_key like 'demo-order-%'`)[0]!.n).toBe(300);
    // And one set of demo reviews, which both reviews processes seed once orders answers (in the background).
    const demoReviews = async () => (await reviewsDb`select count(*)::int as n, count(distinct (product_id, customer_id))::int as pairs from reviews`)[0] as { n: number; pairs: number };
    for (let attempt = 0; attempt < 120 && (await demoReviews()).n === 0; attempt++) await sleep(250);
    const seeded = await demoReviews();
    console.info(`demo reviews after both reviews processes seeded: ${seeded.n}`);
    expect(seeded.n).toBeGreaterThan(100);
    expect(seeded.pairs).toBe(seeded.n);
    for (const service of SERVICES) for (const replica of replicas[service]) expect(replica.child.exitCode, `${service} on ${replica.port}`).toBeNull();
  });

  it('serves one image, made once, through both gateways and from both products processes', async () => {
    // A demo picture both products processes seeded at once: one image per demo product came of it.
    const [{ images, pictured }] = (await productsDb`select count(*)::int as images, count(distinct product_id)::int as pictured from product_images`) as unknown as [
      { images: number; pictured: number },
    ];
    expect(images).toBe(pictured);
    const { products } = await anonymous.CatalogPage({ first: 1 });
    const image = products!.edges[0]!.node.featuredImage!;
    const path = new URL(image.small).pathname;
    const token = await credentials.gateway.token('products');
    const sources = [
      ...replicas.gateway.map((replica) => ({ name: `gateway on ${replica.port}`, url: `http://127.0.0.1:${replica.port}${path}`, headers: {} })),
      ...replicas.products.map((replica) => ({ name: `products on ${replica.port}`, url: `http://127.0.0.1:${replica.port}${path}`, headers: { [SERVICE_TOKEN_HEADER]: token } })),
    ];
    const answers = await Promise.all(
      sources.map(async (source) => {
        const response = await fetch(source.url, { headers: source.headers });
        return {
          name: source.name,
          status: response.status,
          type: response.headers.get('content-type'),
          etag: response.headers.get('etag'),
          bytes: Buffer.from(await response.arrayBuffer()).toString('base64'),
        };
      }),
    );
    for (const answer of answers) expect([answer.status, answer.type], answer.name).toEqual([200, 'image/webp']);
    expect(new Set(answers.map((answer) => answer.bytes)).size).toBe(1);
    expect(new Set(answers.map((answer) => answer.etag)).size).toBe(1);
    expect((await productsDb`select count(*)::int as n from product_image_variants where image_id = ${image.id} and width = 320 and format = 'webp'`)[0]!.n).toBe(1);
  });

  it('makes one order of racing placeOrders that share an idempotency key, whichever orders process each reaches', async () => {
    const productId = await createProduct(50);
    const buyer = await registerBuyer('racer');
    const before = await requestsPerReplica('orders', /PlaceOrder/);
    const input = { idempotencyKey: `race-${randomUUID()}`, items: [{ productId, quantity: 3 }] };
    const answers = await Promise.all(Array.from({ length: 12 }, () => buyer.client.PlaceOrder({ input })));
    const after = await requestsPerReplica('orders', /PlaceOrder/);
    expect(
      after.map((count, index) => count - before[index]!).every((count) => count > 0),
      `placeOrder reached both orders processes: ${before} → ${after}`,
    ).toBe(true);

    const placed = answers.filter((answer) => answer.placeOrder?.order);
    const ids = new Set(placed.map((answer) => answer.placeOrder!.order!.id));
    expect(ids.size).toBe(1);
    // The others were told the first is still being placed, and may retry to read it.
    for (const answer of answers.filter((answer) => !answer.placeOrder?.order)) expect(answer.placeOrder?.userErrors.map((error) => error.code)).toEqual(['CONFLICT']);
    expect((await ordersDb`select count(*)::int as n from orders where idempotency_key = ${input.idempotencyKey}`)[0]!.n).toBe(1);
    expect(await stockOf(productId)).toBe(47);
  });

  it('charges once for racing payOrders spread over both orders processes, and numbers invoices strictly in sequence', async () => {
    const productId = await createProduct(100, '9.99');
    const buyers = await Promise.all(Array.from({ length: 6 }, (_, index) => registerBuyer(`payer-${index}`)));
    const orders = await Promise.all(buyers.map(async (buyer) => (await buyer.client.PlaceOrder({ input: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 2 }] } })).placeOrder!.order!));
    const before = await requestsPerReplica('orders', /PayOrder/);
    // Every buyer pays four times at once; all buyers at once.
    const answers = await Promise.all(
      buyers.flatMap((buyer, index) => Array.from({ length: 4 }, () => buyer.client.PayOrder({ input: { orderId: orders[index]!.id, paymentMethodId: buyer.paymentMethodId } }))),
    );
    const after = await requestsPerReplica('orders', /PayOrder/);
    expect(
      after.map((count, index) => count - before[index]!).every((count) => count > 0),
      `payOrder reached both orders processes: ${before} → ${after}`,
    ).toBe(true);
    expect(answers.filter((answer) => answer.payOrder?.transaction?.status === 'SUCCEEDED')).toHaveLength(buyers.length);

    for (const order of orders) {
      const charges = await ordersDb`select amount_cents from transactions where order_id = ${order.id} and kind = 'CHARGE' and status = 'SUCCEEDED'`;
      expect(charges.map((charge) => Number(charge.amount_cents))).toEqual([1998]);
      expect((await ordersDb`select status from orders where id = ${order.id}`)[0]!.status).toBe('PAID');
    }
    const invoices = await ordersDb`select number from invoices order by issued_at, number`;
    const numbers = invoices.map((invoice) => Number(/(\d+)$/.exec(invoice.number as string)![1]));
    expect(numbers).toEqual(numbers.map((_, index) => numbers[0]! + index));
    expect(invoices.length).toBeGreaterThanOrEqual(buyers.length);
  });

  it('keeps one review per customer and exact ratings for racing writeReviews spread over both reviews processes', async () => {
    const productId = await createProduct(100, '4.25');
    const buyers = await Promise.all(Array.from({ length: 8 }, (_, index) => registerBuyer(`reviewer-${index}`)));
    for (const buyer of buyers) {
      const { placeOrder } = await buyer.client.PlaceOrder({ input: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] } });
      expect((await buyer.client.PayOrder({ input: { orderId: placeOrder!.order!.id, paymentMethodId: buyer.paymentMethodId } })).payOrder?.userErrors).toEqual([]);
    }
    const before = await requestsPerReplica('reviews', /WriteReview/);
    // Every buyer writes five times at once (1 to 5 stars, the 5 last sent); all buyers at once.
    const answers = await Promise.all(buyers.flatMap((buyer) => [1, 2, 3, 4, 5].map((rating) => buyer.client.WriteReview({ input: { productId, rating, title: `${rating} stars`, body: 'Raced.' } }))));
    const after = await requestsPerReplica('reviews', /WriteReview/);
    expect(
      after.map((count, index) => count - before[index]!).every((count) => count > 0),
      `writeReview reached both reviews processes: ${before} → ${after}`,
    ).toBe(true);
    expect(answers.flatMap((answer) => answer.writeReview.userErrors)).toEqual([]);
    const rows = await reviewsDb`select customer_id, rating from reviews where product_id = ${productId}`;
    expect(rows).toHaveLength(buyers.length);
    // Each buyer's review is one of the five they sent; the rating counts exactly the rows kept.
    const { product } = await anonymous.ProductReviews({ id: productId, first: 20 });
    const kept = rows.map((row) => Number(row.rating));
    expect(product!.rating!.count).toBe(buyers.length);
    expect(product!.rating!.distribution).toEqual([5, 4, 3, 2, 1].map((stars) => ({ stars, count: kept.filter((rating) => rating === stars).length })));
    expect(product!.reviews!.edges.map((edge) => edge.node.id).sort()).toEqual(
      answers
        .map((answer) => answer.writeReview.review!.id)
        .filter((id, index, ids) => ids.indexOf(id) === index)
        .sort(),
    );
  });

  it('counts failed sign-ins across both accounts processes', async () => {
    const email = `throttled-${randomUUID()}@example.com`;
    await anonymous.Register({ input: { email, password: 'the right password', name: 'Throttled' } });
    const before = await requestsPerReplica('accounts', /Login/);
    // Five wrong passwords (the limit per address and email), each over a new connection.
    for (let attempt = 0; attempt < 5; attempt++) {
      const { login } = await anonymous.Login({ input: { email, password: 'a wrong password' } });
      expect(login?.userErrors.map((error) => error.code)).toEqual(['INVALID_CREDENTIALS']);
    }
    const after = await requestsPerReplica('accounts', /Login/);
    expect(
      after.map((count, index) => count - before[index]!).every((count) => count > 0),
      `logins reached both accounts processes: ${before} → ${after}`,
    ).toBe(true);
    const refused = await anonymous.Login({ input: { email, password: 'the right password' } }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GreenCartRequestError);
    expect((refused as GreenCartRequestError).code).toBe('RATE_LIMITED');
  });

  it('delivers to a subscriber on one gateway the changes made through any process, each once', async () => {
    const productId = await createProduct(500);
    const buyer = await registerBuyer('follower');
    const { placeOrder } = await buyer.client.PlaceOrder({ input: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] } });
    const order = placeOrder!.order!;

    // Subscribers on the first gateway only; the changes are sent to each process in turn.
    const firstGateway = `ws://127.0.0.1:${replicas.gateway[0]!.port}/graphql`;
    const productLive = createLiveClient({ url: firstGateway, webSocketImpl: WebSocket });
    const orderLive = createLiveClient({ url: firstGateway, token: buyer.token, webSocketImpl: WebSocket });
    const productEvents: number[] = [];
    const orderEvents: string[] = [];
    const streams = [
      (async () => {
        for await (const event of productLive.subscribe(ProductUpdatedDocument, { ids: [productId] })) productEvents.push(event.productUpdated.stock);
      })(),
      (async () => {
        for await (const event of orderLive.subscribe(OrderUpdatedDocument, { id: order.id })) orderEvents.push(event.orderUpdated.status);
      })(),
    ];
    await subscriptionsOpen(`http://127.0.0.1:${replicas.gateway[0]!.metricsPort}/metrics`, 2);

    // Stock changed through each products process in turn, straight to it as the gateway calls it.
    const adminToken = (await anonymous.Login({ input: ADMIN })).login!.token!;
    const asGateway = credentials.gateway;
    const productsProcesses = replicas.products.map((replica) => createSubgraphClient({ name: 'products', url: `http://127.0.0.1:${replica.port}`, credentials: asGateway, timeoutMs: 5_000 }));
    const stocks = [401, 402, 403, 404, 405, 406];
    for (const [index, stock] of stocks.entries()) {
      const answer = await productsProcesses[index % 2]!.request<{ updateStock: { userErrors: unknown[] } }>(
        'mutation ($productId: ID!, $stock: Int!) { updateStock(productId: $productId, stock: $stock) { userErrors { code } } }',
        { productId, stock },
        { authorization: `Bearer ${adminToken}` },
      );
      expect(answer.updateStock.userErrors).toEqual([]);
      // One change at a time: each event reads the product as it is, so one read after two quick changes would show the second.
      await vi.waitFor(() => expect(productEvents).toContain(stock), { timeout: 10_000 });
    }
    await sleep(300);
    expect(productEvents).toEqual(stocks);

    // The order changed through each orders process in turn, straight to it as the gateway calls it:
    // paid through the second, shipped through the first, delivered through the second.
    const ordersProcesses = replicas.orders.map((replica) => createSubgraphClient({ name: 'orders', url: `http://127.0.0.1:${replica.port}`, credentials: asGateway, timeoutMs: 5_000 }));
    const changes = [
      {
        status: 'PAID',
        through: 1,
        authorization: `Bearer ${buyer.token}`,
        variables: { orderId: order.id, paymentMethodId: buyer.paymentMethodId },
        query:
          'mutation FollowedOrderChange($orderId: ID!, $paymentMethodId: ID!) { change: payOrder(input: { orderId: $orderId, paymentMethodId: $paymentMethodId }) { order { status } userErrors { code } } }',
      },
      {
        status: 'SHIPPED',
        through: 0,
        authorization: `Bearer ${adminToken}`,
        variables: { orderId: order.id },
        query: 'mutation FollowedOrderChange($orderId: ID!) { change: updateOrderStatus(id: $orderId, status: SHIPPED) { order { status } userErrors { code } } }',
      },
      {
        status: 'DELIVERED',
        through: 1,
        authorization: `Bearer ${adminToken}`,
        variables: { orderId: order.id },
        query: 'mutation FollowedOrderChange($orderId: ID!) { change: updateOrderStatus(id: $orderId, status: DELIVERED) { order { status } userErrors { code } } }',
      },
    ];
    const servedBefore = await requestsPerReplica('orders', /^FollowedOrderChange$/);
    for (const change of changes) {
      const { change: answer } = await ordersProcesses[change.through]!.request<{ change: { order: { status: string } | null; userErrors: unknown[] } }>(change.query, change.variables, {
        authorization: change.authorization,
      });
      expect([answer.order?.status, answer.userErrors]).toEqual([change.status, []]);
      await vi.waitFor(() => expect(orderEvents).toContain(change.status), { timeout: 10_000 });
    }
    const served = rise(servedBefore, await requestsPerReplica('orders', /^FollowedOrderChange$/));
    console.info(
      `order events on the first gateway's subscriber: ${changes.map((change) => `${change.status} through orders process ${change.through + 1} (port ${replicas.orders[change.through]!.port})`).join(', ')}; changes each process answered: ${served}`,
    );
    expect(served).toEqual([1, 2]);
    await sleep(300);
    expect(orderEvents).toEqual(['PAID', 'SHIPPED', 'DELIVERED']);
    await Promise.all([productLive.dispose(), orderLive.dispose()]);
    await Promise.allSettled(streams);
  });

  it('gives exactly 10 of 40 buyers racing through both gateways and both orders processes the 10 units in stock', async () => {
    const productId = await createProduct(10);
    const buyers = await crowd();
    const before = { gateway: await requestsPerReplica('gateway', /^PlaceOrder$/), orders: await requestsPerReplica('orders', /PlaceOrder/) };
    const answers = await Promise.all(buyers.map((buyer) => buyer.client.PlaceOrder({ input: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] } })));
    const took = { gateway: rise(before.gateway, await requestsPerReplica('gateway', /^PlaceOrder$/)), orders: rise(before.orders, await requestsPerReplica('orders', /PlaceOrder/)) };
    console.info(`the 40 placeOrders answered by each gateway: ${took.gateway}; by each orders process: ${took.orders}`);
    expect(took.gateway.reduce((sum, count) => sum + count, 0)).toBe(40);
    expect(
      [...took.gateway, ...took.orders].every((count) => count > 0),
      `both gateways and both orders processes took part: ${JSON.stringify(took)}`,
    ).toBe(true);
    expect(answers.filter((answer) => answer.placeOrder?.order)).toHaveLength(10);
    expect(answers.filter((answer) => !answer.placeOrder?.order).map((answer) => answer.placeOrder?.userErrors.map((error) => error.code))).toEqual(Array.from({ length: 30 }, () => ['OUT_OF_STOCK']));
    expect(await stockOf(productId)).toBe(0);
  }, 60_000);

  it('releases an abandoned reservation once, though the recovery sweeps of both orders processes find it', async () => {
    const productId = await createProduct(20);
    // What a process that died between reserving stock and completing the order leaves behind.
    const stock = createStockClient(createSubgraphClient({ name: 'products', url: balancers.products.url, credentials: credentials.orders, timeoutMs: 5_000 }));
    const customerId = randomUUID();
    const reservations = Array.from({ length: 4 }, () => randomUUID());
    for (const reservationId of reservations) expect(await stock.reserve(reservationId, [{ productId, quantity: 3 }])).toMatchObject({ reserved: true });
    expect(await stockOf(productId)).toBe(8);
    /** When `replica`'s recovery logged that it found every one of `claimIds` (undefined: not yet). */
    const foundAt = (replica: Replica, claimIds: string[]) =>
      logLinesOf(replica).find((line) => line.message === 'found orders that were never completed' && claimIds.every((id) => (line.orderIds as string[]).includes(id)))?.time;
    // Products gives no stock back while the product's row is locked: a sweep that finds the claims
    // waits in its first release, so the sweeps of both processes are seen holding them at once.
    const { claimIds, found, heldUntil } = await productsDb.begin(async (tx) => {
      await tx`select id from products where id = ${productId} for update`;
      // The claims appear together, already older than the recovery waits for: the next sweep of each process finds them all.
      const claims = await ordersDb`
        insert into orders (customer_id, status, idempotency_key, request_fingerprint, stock_reservation_id, created_at, updated_at)
        select ${customerId}, 'PLACING', reservation_id, 'abandoned', reservation_id::uuid, now() - interval '5 minutes', now() - interval '5 minutes'
        from unnest(${reservations}::text[]) as reservation_id
        returning id`;
      const claimIds = claims.map((claim) => claim.id as string);
      await vi.waitFor(() => expect(replicas.orders.map((replica) => foundAt(replica, claimIds) !== undefined)).toEqual([true, true]), { timeout: 10_000, interval: 50 });
      // Both found them before either gave any stock back.
      expect(await stockOf(productId)).toBe(8);
      return { claimIds, found: replicas.orders.map((replica) => foundAt(replica, claimIds)!), heldUntil: new Date().toISOString() };
    });

    await vi.waitFor(async () => expect((await ordersDb`select count(*)::int as n from orders where customer_id = ${customerId}`)[0]!.n).toBe(0), { timeout: 10_000 });
    // Several more sweeps of each process go by: the stock came back once, not once per sweep.
    await sleep(2_500);
    expect(await stockOf(productId)).toBe(20);
    // Each claim put right by exactly one sweep of one process; the other found it done.
    const releasedBy = replicas.orders.map((replica) =>
      logLinesOf(replica)
        .filter((line) => line.message === 'released the stock of an order that was never completed' && claimIds.includes(line.orderId as string))
        .map((line) => line.orderId as string),
    );
    console.info(
      `recovery: orders process 1 found the ${claimIds.length} claims at ${found[0]}, process 2 at ${found[1]}; products held the stock until ${heldUntil} (still 8 of 20); ` +
        `claims released by process 1: ${releasedBy[0]!.length}, by process 2: ${releasedBy[1]!.length}; stock after more sweeps: ${await stockOf(productId)}`,
    );
    expect(releasedBy.flat().sort()).toEqual([...claimIds].sort());
  });

  it('keeps stock and money exact when one orders process is killed in the middle of a burst of orders and payments', async () => {
    const productId = await createProduct(1_000, '5.00');
    const buyers = await crowd();
    const [doomed] = replicas.orders;
    const burstOperations = /PlaceOrder|PayOrder/;
    const answeredBefore = requestsIn(await metricsOf(doomed!), burstOperations);
    const cutOffBefore = balancers.orders.cutOff(doomed!.port);
    const keys = buyers.map(() => randomUUID());
    const startedAt = Date.now();
    /** As a careful client does: retries a failed or not-yet-finished request with the same key until it has an answer. */
    const untilAnswered = async <T>(attempt: () => Promise<T | undefined>): Promise<T> => {
      while (Date.now() - startedAt < 50_000) {
        const answer = await attempt().catch(() => undefined);
        if (answer !== undefined) return answer;
        await sleep(100);
      }
      throw new Error('no answer within 50 s');
    };
    const burst = buyers.map(async (buyer, index) => {
      await sleep(index * 15);
      const order = await untilAnswered(async () => {
        const { placeOrder } = await buyer.client.PlaceOrder({ input: { idempotencyKey: keys[index]!, items: [{ productId, quantity: 1 }] } });
        return placeOrder?.order ?? undefined;
      });
      return untilAnswered(async () => {
        const { payOrder } = await buyer.client.PayOrder({ input: { orderId: order.id, paymentMethodId: buyer.paymentMethodId } });
        // A retry after a charge that went through answers that the order is already paid.
        if (payOrder?.order?.status === 'PAID') return order.id;
        if (payOrder?.userErrors.some((error) => error.code === 'INVALID_STATE')) {
          const { order: current } = await buyer.client.Order({ id: order.id });
          if (current?.status === 'PAID') return order.id;
        }
        return undefined;
      });
    });
    // Killed in the middle of the burst: it has answered some of the burst's requests and holds more,
    // as its own metrics, read just before, say (nothing but the burst calls orders now).
    let atKill = { inFlight: 0, answered: 0 };
    for (const deadline = Date.now() + 10_000; (atKill.inFlight === 0 || atKill.answered === 0) && Date.now() < deadline;) {
      const metrics = await metricsOf(doomed!);
      atKill = { inFlight: inFlightIn(metrics), answered: requestsIn(metrics, burstOperations) - answeredBefore };
    }
    expect(atKill.answered, 'requests of the burst answered by the orders process about to be killed').toBeGreaterThan(0);
    expect(atKill.inFlight, 'requests in flight on the orders process about to be killed').toBeGreaterThan(0);
    await stopReplica(doomed!, 'SIGKILL');
    // Claims the killed process left half done are its recovery's to put right after a minute;
    // the survivors' sweep does it at once if they look older (placing takes well under a second).
    const ageAbandoned = setInterval(() => {
      ordersDb`update orders set created_at = now() - interval '5 minutes' where status = 'PLACING' and created_at < now() - interval '3 seconds'`.catch(() => {});
    }, 500);
    const paidOrderIds = await Promise.all(burst).finally(() => clearInterval(ageAbandoned));
    const cutOff = balancers.orders.cutOff(doomed!.port) - cutOffBefore;
    console.info(
      `orders process 1 (port ${doomed!.port}) killed holding ${atKill.inFlight} requests in flight, having answered ${atKill.answered} placeOrders and payOrders of the burst; requests the balancer saw its death cut off: ${cutOff}`,
    );
    expect(cutOff, 'requests cut off by the kill').toBeGreaterThan(0);

    expect(new Set(paidOrderIds).size).toBe(buyers.length);
    for (const [index, key] of keys.entries()) {
      const rows = await ordersDb`select id, status, total_cents from orders where idempotency_key = ${key}`;
      expect(
        rows.map((row) => [row.id, row.status]),
        `buyer ${index}`,
      ).toEqual([[paidOrderIds[index], 'PAID']]);
    }
    // Stock: exactly one unit per order, and no reservation left over.
    await vi.waitFor(async () => expect(await stockOf(productId)).toBe(1_000 - buyers.length), { timeout: 10_000 });
    // Money: one successful charge per order, of its total; nothing charged twice.
    const charges = await ordersDb`
      select o.id, o.total_cents, count(t.id)::int as charges, coalesce(sum(t.amount_cents), 0)::bigint as charged
      from orders o left join transactions t on t.order_id = o.id and t.kind = 'CHARGE' and t.status = 'SUCCEEDED'
      where o.id = any(${paidOrderIds}::uuid[]) group by o.id, o.total_cents`;
    expect(charges).toHaveLength(buyers.length);
    for (const row of charges) expect([row.charges, Number(row.charged)]).toEqual([1, Number(row.total_cents)]);
    const invoices = await ordersDb`select number from invoices order by issued_at, number`;
    const numbers = invoices.map((invoice) => Number(/(\d+)$/.exec(invoice.number as string)![1]));
    expect(numbers).toEqual(numbers.map((_, index) => numbers[0]! + index));

    // The orchestrator starts it again; it joins on the same database.
    replicas.orders[0] = startReplica('orders', doomed!.port, doomed!.metricsPort);
    await waitUntilServing(replicas.orders[0]);
  }, 90_000);
});
