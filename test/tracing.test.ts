import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createClient } from '@greencart/client';
import { dropDatabase, JWKS_PATH, repositoryRoot } from '@greencart/platform';
import { allParts } from './support/incremental.js';
import { freePort } from './support/ports.js';
import { newSigningKeyPair } from './support/tokens.js';
import { ENTRY, SERVICES, type Service } from './support/service-entries.js';

/**
 * OpenTelemetry across the four services, each a real process as a deployment runs it, with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver in this test (JSON encoding, so
 * that it needs no protobuf decoder): one placeOrder is one trace, from the gateway through orders
 * to products and PostgreSQL, and every log line of the request names it.
 */

/** One span as the receiver got it, with its service's name. */
interface ReceivedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** OTLP's JSON encoding of an export (only the fields read here). */
interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[] }> }>;
  }>;
}

const SPAN_KIND = { SERVER: 2, CLIENT: 3 } as const;
const valueOf = ({ value }: OtlpAttribute) => value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;
const attributesOf = (attributes: OtlpAttribute[] = []) => Object.fromEntries(attributes.map((attribute) => [attribute.key, valueOf(attribute)]));

const serverUrl = inject('postgresServerUrl');
const suffix = randomBytes(4).toString('hex');
const DATABASES = { accounts: `tracing_accounts_${suffix}`, orders: `tracing_orders_${suffix}`, products: `tracing_products_${suffix}`, reviews: `tracing_reviews_${suffix}` };
const spans: ReceivedSpan[] = [];
const output: Record<Service, string[]> = { products: [], accounts: [], orders: [], reviews: [], gateway: [] };
const children: ChildProcess[] = [];
let receiver: Server;
let dataDir: string;
let gatewayUrl: string;

/** An OTLP/HTTP receiver: every span of every export, kept in `spans`. */
async function startReceiver(): Promise<string> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            spans.push({
              service,
              scope: scopeSpans.scope?.name ?? '',
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  const address = receiver.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

function start(service: Service, environment: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@greencart/source', '--import', 'tsx', join(repositoryRoot, ENTRY[service])], {
    cwd: repositoryRoot,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => output[service].push(chunk));
  children.push(child);
  return child;
}

/** Waits for `url` to answer 200: five processes migrating their databases at once can take a minute on a busy 2-core machine. */
async function waitUntil(service: Service, url: string, timeoutMs = 150_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (
      await fetch(url).then(
        (response) => response.ok,
        () => false,
      )
    )
      return;
    await sleep(250);
  }
  throw new Error(`${service} did not come up: ${output[service].join('').slice(-2000)}`);
}

/** The trace id the gateway's log line for a request names, once the request has finished. */
function traceOfRequest(requestId: string): Promise<string> {
  return vi.waitFor(
    () => {
      const line = logLines('gateway').find((entry) => entry.requestId === requestId && entry.message === 'request finished');
      expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/);
      return line!.trace_id!;
    },
    { timeout: 10_000 },
  );
}

/** Every JSON line a service logged. */
const logLines = (service: Service) =>
  output[service]
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message: string; requestId?: string; trace_id?: string; span_id?: string });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'greencart-tracing-'));
  const endpoint = await startReceiver();
  const keys = await newSigningKeyPair();
  const ports = { products: await freePort(), accounts: await freePort(), orders: await freePort(), reviews: await freePort(), gateway: await freePort() };
  const local = (service: Service) => `http://127.0.0.1:${ports[service]}`;
  const common = {
    NODE_ENV: 'development',
    // Debug: every service logs each request it answers, with its trace id.
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    DATABASE_URL: serverUrl,
    GREENCART_DATA_DIR: dataDir,
    JWKS_URL: `${local('accounts')}${JWKS_PATH}`,
    METRICS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Spans are sent within a tenth of a second rather than the default 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  start('products', { ...common, PORT: String(ports.products), PRODUCTS_DATABASE_NAME: DATABASES.products });
  start('accounts', { ...common, PORT: String(ports.accounts), ACCOUNTS_DATABASE_NAME: DATABASES.accounts, JWT_PRIVATE_KEY: keys.privateKeyPem });
  start('orders', {
    ...common,
    PORT: String(ports.orders),
    ORDERS_DATABASE_NAME: DATABASES.orders,
    PRODUCTS_URL: local('products'),
    ACCOUNTS_URL: local('accounts'),
    INVOICE_LINK_SECRET: randomBytes(32).toString('base64url'),
  });
  start('reviews', { ...common, PORT: String(ports.reviews), REVIEWS_DATABASE_NAME: DATABASES.reviews, PRODUCTS_URL: local('products'), ORDERS_URL: local('orders') });
  start('gateway', { ...common, PORT: String(ports.gateway), ACCOUNTS_URL: local('accounts'), ORDERS_URL: local('orders'), PRODUCTS_URL: local('products'), REVIEWS_URL: local('reviews') });
  gatewayUrl = local('gateway');
  await waitUntil('gateway', `${gatewayUrl}/ready`);
}, 180_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  await Promise.all(Object.values(DATABASES).map((name) => dropDatabase(serverUrl, name)));
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  it('makes one placeOrder one trace: the gateway, its fetches, orders, products (called by orders) and PostgreSQL', async () => {
    const anonymous = createClient({ url: `${gatewayUrl}/graphql` });
    const { register } = await anonymous.Register({ input: { email: `traced-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Traced buyer' } });
    const { products } = await anonymous.Products({ first: 1 });
    const productId = products!.edges[0]!.node.id;

    const requestId = `traced-order-${suffix}`;
    const response = await fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${register!.token}`, 'x-request-id': requestId },
      body: JSON.stringify({
        query: 'mutation TracedPlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code } } }',
        variables: { input: { idempotencyKey: randomUUID(), items: [{ productId, quantity: 1 }] } },
      }),
    });
    const body = (await response.json()) as { data?: { placeOrder: { order: { id: string } | null; userErrors: unknown[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.placeOrder.order?.id).toEqual(expect.any(String));

    // The gateway's log line for the request names its trace.
    const traceId = await traceOfRequest(requestId);

    // Waits for the whole trace: spans arrive from each process in its own batches.
    const trace = await vi.waitFor(
      () => {
        const found = spans.filter((span) => span.traceId === traceId);
        const ids = new Set(found.map((span) => span.spanId));
        const services = new Set(found.map((span) => span.service));
        for (const service of ['gateway', 'orders', 'products']) expect(services, service).toContain(service);
        expect(found.some((span) => span.service === 'products' && span.attributes['db.system'] === 'postgresql')).toBe(true);
        // One tree: one root (the gateway's HTTP server span), every other span's parent in the trace.
        expect(found.filter((span) => !span.parentSpanId).map((span) => [span.service, span.kind])).toEqual([['gateway', SPAN_KIND.SERVER]]);
        for (const span of found) if (span.parentSpanId) expect(ids.has(span.parentSpanId), `${span.service} ${span.name}: parent in the trace`).toBe(true);
        return found;
      },
      { timeout: 15_000, interval: 200 },
    );
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId);

    expect(trace.find((span) => !span.parentSpanId)).toMatchObject({
      name: 'POST /graphql',
      attributes: { 'http.route': '/graphql', 'http.response.status_code': 200, 'greencart.request_id': requestId },
    });

    // The gateway's own spans: the request, its plan, and a fetch from orders.
    const gatewaySpans = trace.filter((span) => span.service === 'gateway').map((span) => span.name);
    expect(gatewaySpans).toEqual(expect.arrayContaining(['gateway.request', 'gateway.plan', 'gateway.execute', 'gateway.fetch']));

    // traceparent went along: orders' server span is the child of the gateway's HTTP call in a fetch.
    const ordersServer = trace.find((span) => span.service === 'orders' && span.kind === SPAN_KIND.SERVER)!;
    expect(ordersServer).toMatchObject({ name: 'POST /graphql', attributes: { 'http.route': '/graphql', 'greencart.request_id': requestId } });
    expect(parentOf(ordersServer)).toMatchObject({ service: 'gateway', kind: SPAN_KIND.CLIENT });
    expect(parentOf(parentOf(ordersServer)!)).toMatchObject({ service: 'gateway', name: 'gateway.fetch' });

    // Orders' stock reservation call to products: products' server span under orders' client span, under orders' server span.
    const productsServers = trace.filter((span) => span.service === 'products' && span.kind === SPAN_KIND.SERVER);
    const calledByOrders = productsServers.filter((span) => parentOf(span)?.service === 'orders');
    expect(calledByOrders.length).toBeGreaterThan(0);
    for (const span of calledByOrders) {
      const call = parentOf(span)!;
      expect(call.kind).toBe(SPAN_KIND.CLIENT);
      let ancestor: ReceivedSpan | undefined = call;
      while (ancestor && ancestor.kind !== SPAN_KIND.SERVER) ancestor = parentOf(ancestor);
      expect(ancestor?.spanId).toBe(ordersServer.spanId);
    }

    // PostgreSQL: orders' statements on its own database, products' on its own, each under its service's spans.
    for (const [service, database] of [
      ['orders', DATABASES.orders],
      ['products', DATABASES.products],
    ] as const) {
      const statements = trace.filter((span) => span.service === service && span.attributes['db.system'] === 'postgresql');
      expect(statements.length, service).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(statement.kind).toBe(SPAN_KIND.CLIENT);
        expect(statement.name).toMatch(new RegExp(`^[A-Z]+ ${database}$`));
        expect(statement.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.namespace': database, 'db.query.text': expect.any(String) });
        expect(parentOf(statement)?.service).toBe(service);
      }
    }
    expect(trace.some((span) => span.service === 'orders' && /^INSERT /.test(span.name))).toBe(true);

    // Every service's log lines for the request carry its trace id.
    for (const service of ['gateway', 'orders', 'products'] as const) {
      const lines = logLines(service).filter((entry) => entry.requestId === requestId);
      expect(lines.length, service).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line.trace_id, `${service}: ${line.message}`).toBe(traceId);
        expect(byId.get(line.span_id!)?.service, `${service}: ${line.message} names a span of its own in the trace`).toBe(service);
      }
    }
  });

  it("puts the deferred parts of a query with @defer in the request's trace: the reviews part's fetch a gateway.fetch under the request's HTTP span", async () => {
    const { products } = await createClient({ url: `${gatewayUrl}/graphql` }).Products({ first: 1 });
    const requestId = `traced-defer-${suffix}`;
    const query = 'query TracedDeferred($id: ID!) { product(id: $id) { id name ... @defer(label: "reviews") { reviews(first: 2) { totalCount } } } }';
    const response = await fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824,application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query, variables: { id: products!.edges[0]!.node.id } }),
    });
    const parts = await allParts(response);
    expect(parts.flatMap((part) => part.incremental ?? []).map((item) => item.label)).toEqual(['reviews']);

    const traceId = await traceOfRequest(requestId);
    // Only the deferred part calls reviews: its server span, in the trace, under a gateway.fetch.
    const trace = await vi.waitFor(
      () => {
        const found = spans.filter((span) => span.traceId === traceId);
        const ids = new Set(found.map((span) => span.spanId));
        expect(found.some((span) => span.service === 'reviews' && span.kind === SPAN_KIND.SERVER)).toBe(true);
        expect(found.filter((span) => !span.parentSpanId).map((span) => [span.service, span.kind])).toEqual([['gateway', SPAN_KIND.SERVER]]);
        for (const span of found) if (span.parentSpanId) expect(ids.has(span.parentSpanId), `${span.service} ${span.name}: parent in the trace`).toBe(true);
        return found;
      },
      { timeout: 15_000, interval: 200 },
    );
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const reviewsServer = trace.find((span) => span.service === 'reviews' && span.kind === SPAN_KIND.SERVER)!;
    expect(byId.get(byId.get(reviewsServer.parentSpanId)!.parentSpanId)).toMatchObject({ service: 'gateway', name: 'gateway.fetch' });
    console.log(
      `deferred trace: ${trace
        .filter((span) => span.service === 'gateway')
        .map((span) => span.name)
        .join(', ')}`,
    );
  });

  it('does not trace probes, and serves /metrics only on the metrics port', async () => {
    const before = spans.length;
    expect((await fetch(`${gatewayUrl}/health`)).status).toBe(200);
    expect((await fetch(`${gatewayUrl}/ready`)).status).toBe(200);
    expect((await fetch(`${gatewayUrl}/metrics`)).status).toBe(404);
    await sleep(500);
    expect(
      spans
        .slice(before)
        .filter((span) => span.kind === SPAN_KIND.SERVER && span.service === 'gateway' && /health|ready/.test(String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? span.name))),
    ).toEqual([]);
  });
});
