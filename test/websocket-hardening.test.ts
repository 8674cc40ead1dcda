import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodeFlagsOf, repositoryRoot, serviceUrlVariable } from '@greencart/platform';
import { activeSubscriptions, subscriptionsOpen } from './support/live-updates.js';
import { orderTools, type OrderTools } from './support/order-operations.js';
import { paymentTools, type PaymentTools } from './support/payment-operations.js';
import { freePort } from './support/ports.js';
import { redisAvailable, startRedis, type TestRedis } from './support/redis.js';
import { ENTRY } from './support/service-entries.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';
import { signedToken } from './support/tokens.js';

/**
 * The gateway's WebSocket service against what a hostile or careless client sends (issue 23):
 * huge frames, hundreds of sockets from one address, a subscribe/complete flood, variables of the
 * wrong shape, a race on the per-customer limit, long-lived tokens. The gateway runs as a process
 * of its own (production's defaults, behind a trusted proxy), so that its RSS and its output are
 * its alone; the subgraphs run in this process. Each test prints what it measured.
 */

const PRODUCT_UPDATED = 'subscription Watch($ids: [ID!]!) { productUpdated(ids: $ids) { id name stock } }';
const ORDER_UPDATED = 'subscription Follow($id: ID!) { orderUpdated(id: $id) { id status } }';
const CATALOGUE = '{ products(first: 20) { edges { node { id name stock price { amount } } } } }';
const MiB = 1024 * 1024;

interface ServerError {
  message: string;
  extensions?: { code?: string; retryAfterSeconds?: number };
}

/** A message from the gateway: `next` carries data, `error` a list of errors. */
interface ServerMessage {
  id?: string;
  type: string;
  payload?: { data?: Record<string, { id: string; stock?: number; status?: string }> } & ServerError[];
}

/** A graphql-transport-ws connection spoken by hand: every message the gateway sent, and how the socket ended. */
interface RawConnection {
  socket: WebSocket;
  messages: ServerMessage[];
  send(message: Record<string, unknown>): void;
  subscribe(id: string, query: string, variables: Record<string, unknown>, extensions?: Record<string, unknown>): void;
  /** The error message's first error for subscription `id`, once it came. */
  errorOf(id: string): ServerError | undefined;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a socket as from `address` (X-Forwarded-For, which the gateway trusts here), acknowledged; or its HTTP refusal. */
async function connect(url: string, address: string, token?: string): Promise<RawConnection | { refusedWith: number; body: string }> {
  const socket = new WebSocket(url, 'graphql-transport-ws', { headers: { 'x-forwarded-for': address } });
  const messages: ServerMessage[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  socket.on('error', () => {});
  const opened = await new Promise<true | { refusedWith: number; body: string }>((resolve) => {
    socket.once('open', () => resolve(true));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ refusedWith: response.statusCode ?? 0, body }));
    });
    socket.once('close', () => resolve({ refusedWith: 0, body: '' }));
  });
  if (opened !== true) return opened;
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as ServerMessage));
  const connection: RawConnection = {
    socket,
    messages,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    subscribe: (id, query, variables, extensions) => connection.send({ id, type: 'subscribe', payload: { query, variables, ...(extensions ? { extensions } : {}) } }),
    errorOf: (id) => messages.find((message) => message.id === id && message.type === 'error')?.payload?.[0],
  };
  connection.send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
  await vi.waitFor(() => expect(messages.some((message) => message.type === 'connection_ack')).toBe(true), { timeout: 5_000 });
  return connection;
}

async function connected(url: string, address: string, token?: string): Promise<RawConnection> {
  const connection = await connect(url, address, token);
  if ('refusedWith' in connection) throw new Error(`refused with ${connection.refusedWith}: ${connection.body}`);
  opened.push(connection);
  return connection;
}

/** Kilobytes of a process's resident memory now (VmRSS). */
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** One series of the gateway's metrics (the first whose labels include `labels`), or NaN. */
async function metricValue(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(gateway.metricsUrl)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(name) && /^[a-z_]+(\{[^}]*\})? /.exec(candidate)?.[0].trim().replace(/\{.*/, '') === name && candidate.includes(labels));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * The gateway's live heap, near enough: the least `nodejs_heap_size_used_bytes` over a few seconds
 * of catalogue queries, whose garbage brings on the collections that leave only what is kept.
 */
async function settledHeap(): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let sample = 0; sample < 10; sample++) {
    for (let query = 0; query < 20; query++) await catalogueQuery('198.51.100.9');
    least = Math.min(least, await metricValue('nodejs_heap_size_used_bytes'));
  }
  return least;
}

const uuid = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;

let supergraph: TestSupergraph;
let orders: OrderTools;
let payments: PaymentTools;
let gateway: { child: ChildProcess; url: string; wsUrl: string; metricsUrl: string; output: string[] };
const opened: RawConnection[] = [];

/** The gateway as a deployment starts it, on the test's subgraphs, with production's limits. */
async function startGatewayProcess(): Promise<typeof gateway> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  // With the heap budget and semi-space it is deployed with (the manifest's node flags).
  const child = spawn(process.execPath, [...nodeFlagsOf('gateway'), '--conditions=@greencart/source', '--import', 'tsx', join(repositoryRoot, ENTRY.gateway)], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: '127.0.0.1',
      GREENCART_DATA_DIR: supergraph.serviceKeysDir,
      JWKS_URL: supergraph.jwksUrl,
      ...Object.fromEntries(Object.entries(supergraph.subgraphUrls).map(([name, url]) => [serviceUrlVariable(name), url])),
      // Each test's client comes from an address of its own, as behind a load balancer.
      TRUST_PROXY: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null || attempt > 240) throw new Error(`the gateway did not start: ${output.join('').slice(-2000)}`);
    if (
      await fetch(`${url}/ready`).then(
        (response) => response.ok,
        () => false,
      )
    )
      break;
    await sleep(250);
  }
  return { child, url, wsUrl: `ws://127.0.0.1:${port}/graphql`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, output };
}

/** A catalogue query over HTTP from `address`: how long it took, and whether it answered data. */
async function catalogueQuery(address: string): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now();
  const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify({ query: CATALOGUE }) });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  return { ms: performance.now() - started, ok: response.ok && body.data !== undefined && body.errors === undefined };
}

/**
 * A catalogue query, then a pause to 20 ms after it was sent: a client of at most 50 queries a second,
 * within its address's production limit (100 a second) however quickly the gateway answers. One
 * sending back to back went past it on a quick machine (p50 9 ms) and was refused RATE_LIMITED itself.
 */
async function pacedCatalogueQuery(address: string): Promise<{ ms: number; ok: boolean }> {
  const timing = await catalogueQuery(address);
  await sleep(Math.max(0, 20 - timing.ms));
  return timing;
}

const percentile = (values: number[], share: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(share * values.length) - 1)]!;

beforeAll(async () => {
  supergraph = await startSupergraph();
  orders = await orderTools(supergraph);
  payments = await paymentTools(supergraph);
  gateway = await startGatewayProcess();
}, 60_000);

afterAll(async () => {
  for (const connection of opened) connection.socket.terminate();
  if (gateway && gateway.child.exitCode === null) {
    const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
    gateway.child.kill('SIGTERM');
    await exited;
  }
  await supergraph?.stop();
});

describe('WebSocket memory (issue 23, item 3)', () => {
  it("closes a socket sending 25 subscribe frames of 4 MB at the first frame, and the gateway's RSS grows under 64 MiB", async () => {
    const connection = await connected(gateway.wsUrl, '203.0.113.3');
    const before = rssOf(gateway.child.pid!);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(gateway.child.pid!))), 20);
    const padding = 'x'.repeat(4 * 1000 * 1000);
    let sent = 0;
    for (let index = 0; index < 25; index++) {
      if (connection.socket.readyState !== WebSocket.OPEN) break;
      connection.subscribe(`big-${index}`, PRODUCT_UPDATED, { ids: [uuid(1)], padding });
      sent += 1;
    }
    const closed = await connection.closed;
    await sleep(500);
    clearInterval(sampler);
    const after = rssOf(gateway.child.pid!);
    peak = Math.max(peak, after);
    const tooLarge = await metricValue('greencart_websocket_refusals_total', 'reason="frame_too_large"');
    // One frame over the limit from a client that sends nothing more: it reads the close code.
    const single = await connected(gateway.wsUrl, '203.0.113.3');
    single.subscribe('just-over', PRODUCT_UPDATED, { ids: [uuid(1)], padding: 'x'.repeat(256 * 1024) });
    const singleClosed = await single.closed;
    console.log(
      `item 3, frames: sent ${sent} frames of 4 MB; socket closed with ${closed.code} (1006 when the client's own writes are still queued as the gateway, no longer reading, ends the connection 1 s after its 1009); greencart_websocket_refusals_total{reason="frame_too_large"} ${tooLarge}; gateway RSS ${(before / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB (+${((peak - before) / MiB).toFixed(1)}), ${(after / MiB).toFixed(1)} MiB after; one frame of 256 KiB + its message from an idle client: closed with ${singleClosed.code} (${singleClosed.reason})`,
    );
    expect([1006, 1009]).toContain(closed.code);
    expect(tooLarge).toBeGreaterThanOrEqual(1);
    expect(peak - before).toBeLessThan(64 * MiB);
    expect(singleClosed.code).toBe(1009);
  });

  it('reads at most two frames at a time from each of 20 sockets of one address sending 10 subscribe frames just under the limit (250 KB), and keeps none of them', async () => {
    const FRAMES = 10;
    const heapBefore = await settledHeap();
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connected(gateway.wsUrl, '203.0.113.12')));
    const before = rssOf(gateway.child.pid!);
    let peak = before;
    let peakPending = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(gateway.child.pid!))), 20);
    const padding = 'x'.repeat(250_000);
    const started = performance.now();
    for (const connection of sockets) for (let index = 0; index < FRAMES; index++) connection.subscribe(`padded-${index}`, PRODUCT_UPDATED, { ids: [uuid(2)], padding });
    const refusedSoFar = () => sockets.reduce((sum, connection) => sum + connection.messages.filter((message) => message.type === 'error').length, 0);
    // Until every subscribe has been answered: refused, or started.
    await vi.waitFor(
      async () => {
        peakPending = Math.max(peakPending, await metricValue('greencart_websocket_pending_bytes'));
        expect(refusedSoFar() + (await activeSubscriptions(gateway.metricsUrl))).toBe(sockets.length * FRAMES);
      },
      { timeout: 30_000, interval: 50 },
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const active = await activeSubscriptions(gateway.metricsUrl);
    const heapAfter = await settledHeap();
    console.log(
      `item 3, frames under the limit: 20 sockets × ${FRAMES} frames of 250 KB (${((20 * FRAMES * 250_000) / MiB).toFixed(0)} MiB) handled in ${seconds.toFixed(1)} s, ${refusedSoFar()} refused (RATE_LIMITED), ${active} active; peak greencart_websocket_pending_bytes sampled ${(peakPending / MiB).toFixed(1)} MiB; gateway heap after collection ${(heapBefore / MiB).toFixed(1)} MiB before, ${(heapAfter / MiB).toFixed(1)} MiB with the ${active} subscriptions open (${(((heapAfter - heapBefore) * 1024) / Math.max(1, active) / MiB).toFixed(0)} KiB each); RSS peak +${((peak - before) / MiB).toFixed(1)} MiB`,
    );
    try {
      // Each socket stops being read while its messages under way hold more than a frame (256 KiB) …
      expect(peakPending).toBeLessThanOrEqual(20 * 2 * 256 * 1024);
      // … and an open subscription keeps its query and variables, not its frame (graphql-ws kept two
      // copies of it: ~490 KiB each). Measured 30–120 KiB each as the machine's load and the
      // collector's timing vary, so the bound sits between that and a frame's copy.
      expect(active).toBeGreaterThan(50);
      expect(heapAfter - heapBefore).toBeLessThan(active * 250 * 1024);
    } finally {
      // Closed whatever was found, so the tests after this one start from no subscription.
      for (const connection of sockets) connection.socket.close();
      await Promise.all(sockets.map((connection) => connection.closed));
      await vi.waitFor(async () => expect(await activeSubscriptions(gateway.metricsUrl)).toBe(0), { timeout: 10_000 });
    }
  });

  it("refuses sockets past 50 from one address with HTTP 429 before the upgrade, and not another address's", async () => {
    const before = rssOf(gateway.child.pid!);
    const attempts = await Promise.all(Array.from({ length: 400 }, () => connect(gateway.wsUrl, '203.0.113.4')));
    const accepted = attempts.filter((attempt): attempt is RawConnection => !('refusedWith' in attempt));
    const refused = attempts.filter((attempt): attempt is { refusedWith: number; body: string } => 'refusedWith' in attempt);
    opened.push(...accepted);
    const open = await metricValue('greencart_websocket_connections_open');
    const other = await connected(gateway.wsUrl, '203.0.113.5');
    const after = rssOf(gateway.child.pid!);
    console.log(
      `item 3, sockets: of 400 from one address ${accepted.length} accepted, ${refused.length} refused (statuses ${[...new Set(refused.map((attempt) => attempt.refusedWith))].join(', ')}: ${refused[0]?.body}); greencart_websocket_connections_open ${open}; gateway RSS +${((after - before) / MiB).toFixed(1)} MiB`,
    );
    expect(accepted).toHaveLength(50);
    expect(refused).toHaveLength(350);
    expect(refused.every((attempt) => attempt.refusedWith === 429)).toBe(true);
    expect(JSON.parse(refused[0]!.body).errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(open).toBeGreaterThanOrEqual(50);
    expect(other.socket.readyState).toBe(WebSocket.OPEN);
    for (const connection of [...accepted, other]) connection.socket.close();
    await Promise.all([...accepted, other].map((connection) => connection.closed));
    // The address's sockets count again from none once they are closed.
    const again = await connected(gateway.wsUrl, '203.0.113.4');
    expect(again.socket.readyState).toBe(WebSocket.OPEN);
    again.socket.close();
  });
});

describe('Subscribe floods and the rate limits (issue 23, item 4)', () => {
  it('refuses a subscribe/complete loop on productUpdated with 100 ids with RATE_LIMITED, while catalogue queries keep their pace', async () => {
    const ids = Array.from({ length: 100 }, (_, index) => uuid(index + 1000));
    // The machine's pace without the loop, for comparison (other work shares its cores).
    const quiet: number[] = [];
    for (const started = performance.now(); performance.now() - started < 1_000;) quiet.push((await pacedCatalogueQuery('198.51.100.7')).ms);
    const sockets = await Promise.all(Array.from({ length: 4 }, () => connected(gateway.wsUrl, '203.0.113.6')));
    supergraph.statements.products.reset();
    let running = true;
    let subscribes = 0;
    const loops = sockets.map(async (connection, socketIndex) => {
      for (let round = 0; running && connection.socket.readyState === WebSocket.OPEN; round++) {
        const id = `${socketIndex}-${round}`;
        connection.subscribe(id, PRODUCT_UPDATED, { ids });
        subscribes += 1;
        // Completed as soon as it is refused, or a moment after it was accepted.
        for (let waited = 0; waited < 25 && !connection.errorOf(id); waited += 5) await sleep(5);
        connection.send({ id, type: 'complete' });
      }
    });
    const timings: Array<{ ms: number; ok: boolean }> = [];
    const started = performance.now();
    while (performance.now() - started < 5_000) timings.push(await pacedCatalogueQuery('198.51.100.7'));
    running = false;
    await Promise.all(loops);
    const seconds = (performance.now() - started) / 1000;
    const errors = sockets.flatMap((connection) => connection.messages.filter((message) => message.type === 'error').map((message) => message.payload?.[0]));
    const rateLimited = errors.filter((error) => error?.extensions?.code === 'RATE_LIMITED');
    const productStatements = supergraph.statements.products.applicationCount;
    const p95 = percentile(
      timings.map((timing) => timing.ms),
      0.95,
    );
    console.log(
      `item 4: ${subscribes} subscribes in ${seconds.toFixed(1)} s from 4 sockets (${(subscribes / seconds).toFixed(0)}/s); ${rateLimited.length} RATE_LIMITED (retryAfterSeconds ${rateLimited[0]?.extensions?.retryAfterSeconds}), ${errors.length - rateLimited.length} other errors; products SQL statements ${productStatements} (${(productStatements / seconds).toFixed(0)}/s); catalogue queries without the loop: p95 ${percentile(quiet, 0.95).toFixed(0)} ms; during it: ${timings.length}, all answered: ${timings.every((timing) => timing.ok)}, p50 ${percentile(
        timings.map((timing) => timing.ms),
        0.5,
      ).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms`,
    );
    expect(rateLimited.length).toBeGreaterThan(0);
    expect(rateLimited[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(timings.every((timing) => timing.ok)).toBe(true);
    expect(p95).toBeLessThan(2_000);
    for (const connection of sockets) connection.socket.close();
    await vi.waitFor(async () => expect(await activeSubscriptions(gateway.metricsUrl)).toBe(0), { timeout: 10_000 });
  });
});

describe('Subscription variables (issue 23, item 5)', () => {
  it('refuses a list of 6,000 UUIDs for orderUpdated(id:), a number, an object and null with BAD_USER_INPUT, reading nothing', async () => {
    const customer = await supergraph.registerCustomer();
    const connection = await connected(gateway.wsUrl, '203.0.113.8', customer.token);
    supergraph.statements.orders.reset();
    const cases: Record<string, unknown> = { list: Array.from({ length: 6_000 }, (_, index) => uuid(index)), number: 5, object: { id: uuid(1) }, null: null, 'not a UUID': 'order-1' };
    const seen: string[] = [];
    for (const [name, id] of Object.entries(cases)) {
      const started = performance.now();
      connection.subscribe(name, ORDER_UPDATED, { id });
      await vi.waitFor(() => expect(connection.errorOf(name)).toBeDefined(), { timeout: 5_000 });
      const error = connection.errorOf(name)!;
      seen.push(`${name}: ${error.extensions?.code} in ${(performance.now() - started).toFixed(0)} ms ("${error.message.slice(0, 90)}")`);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    }
    // A NUL, in a variable or written as an escape in the document, is refused as over HTTP (item 7).
    connection.subscribe('NUL in a variable', ORDER_UPDATED, { id: `${uuid(2)}\u0000` });
    connection.subscribe('NUL escape in the document', 'subscription { orderUpdated(id: "a\\u0000b") { id } }', {});
    for (const name of ['NUL in a variable', 'NUL escape in the document']) {
      await vi.waitFor(() => expect(connection.errorOf(name)).toBeDefined(), { timeout: 5_000 });
      seen.push(`${name}: ${connection.errorOf(name)!.extensions?.code}`);
      expect(connection.errorOf(name)!.extensions?.code).toBe('BAD_USER_INPUT');
    }
    const ordersStatements = supergraph.statements.orders.applicationCount;
    console.log(`item 5, bad variables: ${seen.join('; ')}; orders SQL statements ${ordersStatements}`);
    expect(ordersStatements).toBe(0);
  });

  it('sends an order and a product subscribed to by their upper-case UUIDs when they change', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '3.00', stock: 8 });
    const order = await payments.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    const connection = await connected(gateway.wsUrl, '203.0.113.9', customer.token);
    connection.subscribe('order', ORDER_UPDATED, { id: order.id.toUpperCase() });
    connection.subscribe('product', PRODUCT_UPDATED, { ids: [product.id.toUpperCase()] });
    await subscriptionsOpen(gateway.metricsUrl, 2);
    await payments.cancelOrder(customer.token, order.id);
    await vi.waitFor(
      () =>
        expect(
          connection.messages
            .filter((message) => message.type === 'next')
            .map((message) => message.id)
            .sort(),
        ).toEqual(expect.arrayContaining(['order', 'product'])),
      { timeout: 5_000 },
    );
    const events = connection.messages.filter((message) => message.type === 'next');
    console.log(`item 5, upper-case ids: ${events.map((event) => `${event.id} → ${JSON.stringify(event.payload?.data)}`).join('; ')}`);
    expect(events.find((event) => event.id === 'order')?.payload?.data?.orderUpdated).toEqual({ id: order.id, status: 'CANCELLED' });
    expect(events.find((event) => event.id === 'product')?.payload?.data?.productUpdated).toMatchObject({ id: product.id, stock: 8 });
    connection.socket.close();
    await subscriptionsOpen(gateway.metricsUrl, 0);
  });
});

describe('Tokens that outlive a Node.js timer (issue 23, item 9)', () => {
  it('keeps a connection and a subscription whose tokens expire in 40 days open, and sends their events', async () => {
    const customer = await supergraph.registerCustomer();
    const longLived = await signedToken(supergraph.keys.privateKeyPem, { sub: customer.id, expiresIn: '40d' });
    const product = await orders.createProduct({ stock: 6 });
    const connection = await connected(gateway.wsUrl, '203.0.113.10', longLived);
    connection.subscribe('own-token', PRODUCT_UPDATED, { ids: [product.id] }, { headers: { Authorization: `Bearer ${longLived}` } });
    connection.subscribe('connection-token', PRODUCT_UPDATED, { ids: [product.id] });
    await subscriptionsOpen(gateway.metricsUrl, 2);
    await sleep(1_000);
    await orders.setStock(product.id, 2);
    await vi.waitFor(() => expect(connection.messages.filter((message) => message.type === 'next')).toHaveLength(2), { timeout: 5_000 });
    const events = connection.messages.filter((message) => message.type === 'next' || message.type === 'error');
    console.log(
      `item 9: socket ${connection.socket.readyState === WebSocket.OPEN ? 'open' : 'closed'} a second after connecting with a 40-day token; messages: ${events.map((event) => `${event.id} ${event.type} stock ${event.payload?.data?.productUpdated?.stock}`).join('; ')}`,
    );
    expect(connection.socket.readyState).toBe(WebSocket.OPEN);
    expect(events.every((event) => event.type === 'next' && event.payload?.data?.productUpdated?.stock === 2)).toBe(true);
    connection.socket.close();
    await subscriptionsOpen(gateway.metricsUrl, 0);
  });
});

describe('What a client can write to the logs (issue 23, item 8)', () => {
  it('logs each client mistake of this file in at most one JSON line below error, with no raw stack', async () => {
    // One more mistake graphql-ws's own server printed a stack for: a message only a server sends.
    const connection = await connected(gateway.wsUrl, '203.0.113.11');
    connection.send({ id: '1', type: 'next', payload: {} });
    const closed = await connection.closed;
    await sleep(200);
    const lines = gateway.output
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const raw = lines.filter((line) => !line.startsWith('{'));
    const parsed = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: string; message: string; stack?: string });
    const byLevel = parsed.reduce<Record<string, number>>((counts, line) => ({ ...counts, [line.level]: (counts[line.level] ?? 0) + 1 }), {});
    const clientMistakes = parsed.filter((line) => /client broke the protocol|only a server sends|first read failed/.test(line.message));
    console.log(
      `item 8: the gateway wrote ${lines.length} lines (${JSON.stringify(byLevel)}), ${raw.length} not JSON; client mistakes logged: ${clientMistakes.map((line) => `${line.level} "${line.message}"`).join('; ')}; closed the server-message sender with ${closed.code}`,
    );
    expect(closed.code).toBe(4400);
    expect(raw).toEqual([]);
    expect(parsed.filter((line) => line.level === 'error')).toEqual([]);
    expect(parsed.filter((line) => line.stack !== undefined)).toEqual([]);
    expect(clientMistakes.length).toBeGreaterThanOrEqual(2);
    // Nor did the subgraphs log an error for any read of this file's subscriptions.
    const subgraphErrors = supergraph.logs.filter((line) => line.includes('"level":"error"'));
    console.log(`item 8: subgraph error lines meanwhile: ${subgraphErrors.length}`);
    expect(subgraphErrors).toEqual([]);
  });
});

describe('The per-customer subscription limit under a race (issue 23, item 6)', () => {
  const SUBSCRIBES = { connections: 6, each: 25 };

  /** Six connections of one customer sending 25 subscribes each at once, over `gatewayUrls` in turn: the subscriptions open after. */
  async function race(gatewayUrls: string[], metricsUrls: string[], token: string) {
    const product = uuid(77);
    const sockets = await Promise.all(Array.from({ length: SUBSCRIBES.connections }, (_, index) => connected(gatewayUrls[index % gatewayUrls.length]!, '198.51.100.20', token)));
    for (const connection of sockets) for (let index = 0; index < SUBSCRIBES.each; index++) connection.subscribe(`s${index}`, PRODUCT_UPDATED, { ids: [product] });
    await vi.waitFor(() => expect(sockets.reduce((sum, connection) => sum + connection.messages.filter((message) => message.type === 'error').length, 0)).toBeGreaterThanOrEqual(50), {
      timeout: 10_000,
    });
    await sleep(500);
    const active = (await Promise.all(metricsUrls.map(activeSubscriptions))).reduce((sum, count) => sum + count, 0);
    const refused = sockets.flatMap((connection) => connection.messages.filter((message) => message.type === 'error').map((message) => message.payload?.[0]?.extensions?.code));
    return { sockets, active, refused };
  }

  it('holds 100 of 6 × 25 subscribes sent at once by one customer to one gateway, in memory', async () => {
    const customer = await supergraph.registerCustomer();
    const wsUrl = `${supergraph.gatewayUrl.replace('http', 'ws')}/graphql`;
    const { sockets, active, refused } = await race([wsUrl], [supergraph.metricsUrls.gateway], customer.token);
    console.log(`item 6, memory: ${SUBSCRIBES.connections} × ${SUBSCRIBES.each} subscribes at once → ${active} active, ${refused.length} refused (${[...new Set(refused)].join(', ')})`);
    expect(active).toBe(100);
    expect(refused).toHaveLength(50);
    expect(refused.every((code) => code === 'RATE_LIMITED')).toBe(true);
    for (const connection of sockets) connection.socket.close();
    await subscriptionsOpen(supergraph.metricsUrls.gateway, 0);
  });

  describe.skipIf(!redisAvailable)('with REDIS_URL, over two gateway replicas', () => {
    let redis: TestRedis;
    let shared: TestSupergraph;
    beforeAll(async () => {
      redis = await startRedis();
      shared = await startSupergraph({ seedCatalogue: false, redisUrl: redis.url });
    }, 60_000);
    afterAll(async () => {
      await shared?.stop();
      await redis?.stop();
    });

    it("holds 100 of 6 × 25 subscribes sent at once by one customer over both, and forgets a crashed gateway's", async () => {
      const replica = await shared.startGatewayReplica();
      const customer = await shared.registerCustomer();
      const key = `greencart:subscriptions:${customer.id}`;
      const client = new Redis(redis.url);
      client.on('error', () => {});
      try {
        // A crashed gateway's 100 slots, their heartbeat long missed: they must not count.
        await client.zadd(key, ...Array.from({ length: 100 }, (_, index) => [Date.now() - 1_000, `crashed-gateway:${index}`]).flat());
        const urls = [shared.gatewayUrl, replica.url].map((url) => `${url.replace('http', 'ws')}/graphql`);
        const metricsUrls = [shared.metricsUrls.gateway, replica.metricsUrl];
        const { sockets, active, refused } = await race(urls, metricsUrls, customer.token);
        const perGateway = await Promise.all(metricsUrls.map(activeSubscriptions));
        const inRedis = await client.zcard(key);
        console.log(
          `item 6, Redis: ${SUBSCRIBES.connections} × ${SUBSCRIBES.each} subscribes at once over two gateways → ${active} active (${perGateway.join(' + ')}), ${refused.length} refused (${[...new Set(refused)].join(', ')}); ${inRedis} slots in Redis, the crashed gateway's 100 gone`,
        );
        expect(active).toBe(100);
        expect(refused).toHaveLength(50);
        expect(refused.every((code) => code === 'RATE_LIMITED')).toBe(true);
        expect(inRedis).toBe(100);
        for (const connection of sockets) connection.socket.close();
        await Promise.all(sockets.map((connection) => connection.closed));
        // Each ended subscription gives its slot back.
        await vi.waitFor(async () => expect(await client.zcard(key)).toBe(0), { timeout: 5_000 });
      } finally {
        client.disconnect();
      }
    });
  });
});
