import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/** NODE_ENV=production: nothing that helps an attacker map the API or the network. */
let supergraph: TestSupergraph;
let customer: { token: string };

beforeAll(async () => {
  supergraph = await startSupergraph({ production: true });
  customer = await supergraph.registerCustomer();
});
afterAll(() => supergraph?.stop());

describe('production mode', () => {
  it('refuses introspection', async () => {
    const response = await supergraph.request('{ __schema { types { name } } }');
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('serves no playground page', async () => {
    const response = await fetch(`${supergraph.gatewayUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await response.text()).not.toMatch(/graphiql/i);
  });

  it('gives no field suggestions', async () => {
    const response = await supergraph.request('{ prodcts { totalCount } }');
    expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(response.errors)).not.toMatch(/did you mean/i);
  });

  it('answers queries over GET, but refuses a mutation over GET (405) and a POST that is not JSON (415)', async () => {
    const url = (query: string) => `${supergraph.gatewayUrl}/graphql?query=${encodeURIComponent(query)}`;
    const query = await fetch(url('{ categories { name } }'));
    expect(query.status).toBe(200);
    expect(((await query.json()) as { data: { categories: unknown[] } }).data.categories.length).toBeGreaterThan(0);
    const mutation = await fetch(url('mutation { login(input: { email: "a@example.com", password: "whatever1" }) { token } }'));
    expect(mutation.status).toBe(405);
    const form = await fetch(`${supergraph.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ categories { name } }"}' });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });

  it('leaks no stack trace, internal address or subgraph answer when a subgraph fails', async () => {
    const { products } = await supergraph.data('{ products(first: 1) { edges { node { id } } } }');
    await supergraph.data('mutation($id: ID!) { addToCart(input: { productId: $id, quantity: 1 }) { userErrors { code } } }', { id: products.edges[0].node.id }, { token: customer.token });
    await supergraph.stopSubgraph('products');
    const responses = [
      await supergraph.request('{ categories { name } }'),
      await supergraph.request('{ cart { id subtotal { amount } items { product { name } } } }', {}, { token: customer.token }),
      await supergraph.request('mutation { addToCart(input: { productId: "00000000-0000-4000-8000-000000000001", quantity: 1 }) { userErrors { code } } }', {}, { token: customer.token }),
    ];
    for (const response of responses) {
      expect(response.errors?.length).toBeGreaterThan(0);
      const text = JSON.stringify(response);
      expect(text).not.toMatch(/stacktrace|ECONNREFUSED|127\.0\.0\.1|localhost|fetch failed|\bat \w+ \(|SELECT|postgres/i);
      for (const error of response.errors ?? []) {
        if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') expect(error.message).toBe('Internal server error');
      }
    }
    // What clients were not told is in the log, for the operators.
    expect(supergraph.logs.some((line) => /ECONNREFUSED|fetch failed|did not answer/.test(line))).toBe(true);
  });
});
