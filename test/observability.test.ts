import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';
import { sample } from './support/metrics.js';

/** Request ids through the gateway and the subgraphs' logs, and every service's /metrics on its metrics port. */
let supergraph: TestSupergraph;
let customer: { token: string };
let productId: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  customer = await supergraph.registerCustomer();
  const { products } = await supergraph.data('{ products(first: 1) { edges { node { id } } } }');
  productId = products.edges[0].node.id;
});
afterAll(() => supergraph?.stop());

const OBSERVED_PRODUCTS = 'query ObservedProducts { products(first: 2) { edges { node { name } } } }';
const ADD_TO_CART = 'mutation ObservedAddToCart($id: ID!) { addToCart(input: { productId: $id, quantity: 1 }) { userErrors { code } } }';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Posts to the gateway as a client would, and keeps the whole HTTP response. */
async function post(query: string, options: { headers?: Record<string, string>; variables?: Record<string, unknown>; token?: string } = {}) {
  const response = await fetch(`${supergraph.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  return { status: response.status, requestId: response.headers.get('x-request-id'), body };
}

interface LogLine {
  service: string;
  level: string;
  message: string;
  requestId?: string;
  operation?: string;
  [field: string]: unknown;
}

/** Every line the services logged under one request id. */
function linesOf(requestId: string): LogLine[] {
  return supergraph.logs.map((line) => JSON.parse(line) as LogLine).filter((line) => line.requestId === requestId);
}

/** Waits until every service named has logged "request finished" for the request. */
async function finishedIn(requestId: string, services: string[]): Promise<LogLine[]> {
  return vi.waitFor(() => {
    const lines = linesOf(requestId);
    const finished = new Set(lines.filter((line) => line.message === 'request finished').map((line) => line.service));
    for (const service of services) expect(finished, `${service} finished ${requestId}`).toContain(service);
    return lines;
  });
}

async function metricsOf(metricsUrl: string): Promise<string> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

describe('request ids', () => {
  it("echoes the caller's x-request-id, and every service the request reached logs under it", async () => {
    const response = await post(OBSERVED_PRODUCTS, { headers: { 'x-request-id': 'test-123' } });
    expect(response.body.errors).toBeUndefined();
    expect(response.requestId).toBe('test-123');

    const lines = await finishedIn('test-123', ['gateway', 'products']);
    const gateway = lines.find((line) => line.service === 'gateway' && line.message === 'request finished');
    expect(gateway).toMatchObject({ level: 'debug', operation: 'ObservedProducts', status: 200 });
    expect(gateway?.durationMs).toEqual(expect.any(Number));
    const products = lines.find((line) => line.service === 'products' && line.message === 'request finished');
    expect(products?.operation).toMatch(/^ObservedProducts__products__/);
    // Nothing else reached accounts or orders under this id.
    expect(lines.filter((line) => line.service === 'accounts' || line.service === 'orders')).toEqual([]);
  });

  it('makes up an id (a UUID) when the client sends none, and passes that one on', async () => {
    const response = await post(OBSERVED_PRODUCTS);
    expect(response.requestId).toMatch(UUID);
    await finishedIn(response.requestId!, ['gateway', 'products']);
  });

  it('replaces an id that is too long or holds other characters', async () => {
    for (const sent of ['x'.repeat(129), 'two words', 'semi;colon', '<script>']) {
      const response = await post(OBSERVED_PRODUCTS, { headers: { 'x-request-id': sent } });
      expect(response.requestId).toMatch(UUID);
    }
    const longest = 'a.B-9_'.repeat(21).slice(0, 128);
    expect((await post(OBSERVED_PRODUCTS, { headers: { 'x-request-id': longest } })).requestId).toBe(longest);
  });

  it('goes along when orders calls products itself', async () => {
    const response = await post(ADD_TO_CART, { headers: { 'x-request-id': 'cart-req-1' }, variables: { id: productId }, token: customer.token });
    expect(response.body.errors).toBeUndefined();
    const lines = await finishedIn('cart-req-1', ['gateway', 'orders', 'products']);
    // Orders checked the product with products directly (not through the gateway).
    expect(lines.some((line) => line.service === 'products' && line.operation === 'CatalogueProducts')).toBe(true);
  });

  it('is answered on refusals too', async () => {
    const response = await post('{ nope }', { headers: { 'x-request-id': 'refused-1' } });
    expect(response.status).toBe(400);
    expect(response.requestId).toBe('refused-1');
  });
});

describe('/metrics', () => {
  it('is not served on any public port, which answers only /graphql, /health, /ready and invoice links', async () => {
    for (const url of [supergraph.gatewayUrl, ...Object.values(supergraph.subgraphUrls)]) {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('greencart_');
      expect((await fetch(`${url}/health`)).status).toBe(200);
    }
    for (const url of Object.values(supergraph.metricsUrls)) {
      // The metrics port serves nothing else.
      expect((await fetch(new URL('/graphql', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status).toBe(404);
      expect((await fetch(new URL('/health', url))).status).toBe(404);
    }
  });

  it('on the gateway counts the request by operation, and the calls it made to each subgraph', async () => {
    const before = await metricsOf(supergraph.metricsUrls.gateway);
    const response = await post(OBSERVED_PRODUCTS, { headers: { 'x-request-id': 'metrics-1' } });
    expect(response.body.errors).toBeUndefined();
    await finishedIn('metrics-1', ['gateway']);
    const after = await metricsOf(supergraph.metricsUrls.gateway);

    const operation = { service: 'gateway', operation: 'ObservedProducts' };
    expect(sample(after, 'greencart_graphql_requests_total', operation)).toBe(sample(before, 'greencart_graphql_requests_total', operation) + 1);
    expect(sample(after, 'greencart_graphql_request_duration_seconds_count', operation)).toBe(sample(before, 'greencart_graphql_request_duration_seconds_count', operation) + 1);
    const products = { service: 'gateway', subgraph: 'products' };
    expect(sample(after, 'greencart_subgraph_requests_total', products)).toBe(sample(before, 'greencart_subgraph_requests_total', products) + 1);
    expect(sample(after, 'greencart_subgraph_request_duration_seconds_count', products)).toBe(sample(before, 'greencart_subgraph_request_duration_seconds_count', products) + 1);
    // This query needs only products.
    for (const subgraph of ['accounts', 'orders']) {
      expect(sample(after, 'greencart_subgraph_requests_total', { subgraph })).toBe(sample(before, 'greencart_subgraph_requests_total', { subgraph }));
    }
    // Node's process metrics come along, labelled by service.
    expect(sample(after, 'process_cpu_user_seconds_total', { service: 'gateway' })).toBeGreaterThan(0);
  });

  it('counts errors by code, and a request whose operation never resolved as "invalid"', async () => {
    const before = await metricsOf(supergraph.metricsUrls.gateway);
    const unauthenticated = await post(OBSERVED_PRODUCTS, { headers: { 'x-request-id': 'errors-1' }, token: 'not-a-token' });
    expect(unauthenticated.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const invalid = await post('query Broken { nope }', { headers: { 'x-request-id': 'errors-2' } });
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    await finishedIn('errors-1', ['gateway']);
    await finishedIn('errors-2', ['gateway']);
    const after = await metricsOf(supergraph.metricsUrls.gateway);

    for (const code of ['UNAUTHENTICATED', 'GRAPHQL_VALIDATION_FAILED']) {
      expect(sample(after, 'greencart_graphql_errors_total', { service: 'gateway', code })).toBe(sample(before, 'greencart_graphql_errors_total', { service: 'gateway', code }) + 1);
    }
    // The bad token fails the request before its operation is resolved; the invalid one never resolves.
    expect(sample(after, 'greencart_graphql_requests_total', { operation: 'invalid' })).toBe(sample(before, 'greencart_graphql_requests_total', { operation: 'invalid' }) + 2);
    expect(after).not.toContain('operation="Broken"');
  });

  it('is served by each subgraph on its metrics port, counting what the gateway asked', async () => {
    for (const [service, url] of Object.entries(supergraph.metricsUrls).filter(([service]) => service !== 'gateway')) {
      const text = await metricsOf(url);
      expect(text).toContain('# TYPE greencart_graphql_requests_total counter');
      expect(text).toContain('# TYPE greencart_graphql_request_duration_seconds histogram');
      expect(sample(text, 'process_cpu_user_seconds_total', { service })).toBeGreaterThan(0);
    }
    const products = await metricsOf(supergraph.metricsUrls.products);
    expect(sample(products, 'greencart_graphql_requests_total', { service: 'products', operation: 'CatalogueProducts' })).toBeGreaterThanOrEqual(1);
    expect(products).toMatch(/greencart_graphql_requests_total\{operation="ObservedProducts__products__\d+",service="products"\} [1-9]/);
  });

  it('counts the `_entities` calls a subgraph answers, and only those', async () => {
    const entityFetches = async () => sample(await metricsOf(supergraph.metricsUrls.products), 'greencart_entity_fetches_total', { service: 'products' });
    await post(ADD_TO_CART, { token: customer.token, variables: { id: productId } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = await entityFetches();
    // The cart's lines are orders' entities; their products' fields come from products by `_entities`.
    const { body } = await post('query ObservedCart { cart { items { product { name } } } }', { token: customer.token });
    expect(body.errors).toBeUndefined();
    await vi.waitFor(async () => expect(await entityFetches()).toBe(before + 1));
    // A products query of its own is not an entity fetch.
    await post(OBSERVED_PRODUCTS);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await entityFetches()).toBe(before + 1);
  });

  it('counts a request that a subgraph refuses before reading it (no service credentials)', async () => {
    const before = await metricsOf(supergraph.metricsUrls.accounts);
    const response = await fetch(`${supergraph.subgraphUrls.accounts}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ me { id } }"}' });
    expect(response.status).toBe(401);
    const labels = { service: 'accounts', code: 'UNAUTHENTICATED' };
    await vi.waitFor(async () => {
      const after = await metricsOf(supergraph.metricsUrls.accounts);
      expect(sample(after, 'greencart_graphql_errors_total', labels)).toBe(sample(before, 'greencart_graphql_errors_total', labels) + 1);
    });
  });
});

// Last: it stops products.
describe('unexpected errors', () => {
  it('are logged with the request id and the operation, at the gateway and in orders, and counted', async () => {
    const before = await metricsOf(supergraph.metricsUrls.gateway);
    await supergraph.stopSubgraph('products');

    const listing = await post(OBSERVED_PRODUCTS, { headers: { 'x-request-id': 'broken-1' } });
    expect(listing.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(listing.requestId).toBe('broken-1');
    const gatewayLines = await finishedIn('broken-1', ['gateway']);
    expect(gatewayLines.find((line) => line.message === 'unexpected error')).toMatchObject({ service: 'gateway', level: 'error', operation: 'ObservedProducts' });

    // Orders fails to reach products itself: its own log says so under the client's request id.
    const adding = await post(ADD_TO_CART, { headers: { 'x-request-id': 'broken-2' }, variables: { id: productId }, token: customer.token });
    expect(adding.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    const ordersLines = await finishedIn('broken-2', ['gateway', 'orders']);
    const ordersError = ordersLines.find((line) => line.service === 'orders' && line.message === 'unexpected error');
    expect(ordersError).toMatchObject({ level: 'error', operation: expect.stringMatching(/^ObservedAddToCart__orders__/) });
    expect(String(ordersError?.error)).toMatch(/products did not answer/);

    const after = await metricsOf(supergraph.metricsUrls.gateway);
    const labels = { service: 'gateway', code: 'INTERNAL_SERVER_ERROR' };
    expect(sample(after, 'greencart_graphql_errors_total', labels)).toBeGreaterThanOrEqual(sample(before, 'greencart_graphql_errors_total', labels) + 2);
  });
});
