import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/** One subgraph down: the gateway stays up and answers what it can. */
let supergraph: TestSupergraph;
let customer: { token: string; id: string };

beforeAll(async () => {
  supergraph = await startSupergraph();
  customer = await supergraph.registerCustomer();
  await supergraph.stopSubgraph('products');
});
afterAll(() => supergraph?.stop());

describe('with the products subgraph down', () => {
  it('keeps the gateway healthy but not ready, and says which subgraph is down', async () => {
    expect((await fetch(`${supergraph.gatewayUrl}/health`)).status).toBe(200);
    const ready = await fetch(`${supergraph.gatewayUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).toEqual({ accounts: 'ready', orders: 'ready', products: 'unavailable', reviews: 'ready' });
    expect((await fetch(`${supergraph.subgraphUrls.accounts}/ready`)).status).toBe(200);
  });

  it('answers a query that does not need products in full', async () => {
    const response = await supergraph.request('{ me { id email } }', {}, { token: customer.token });
    expect(response.errors).toBeUndefined();
    expect(response.data.me.id).toBe(customer.id);
  });

  it('answers a query that needs products with an error, and keeps serving', async () => {
    const response = await supergraph.request('{ me { id } categories { name } }', {}, { token: customer.token });
    expect(response.status).toBe(200);
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(response.data?.me?.id).toBe(customer.id);
    const again = await supergraph.request('{ me { id } }', {}, { token: customer.token });
    expect(again.data.me.id).toBe(customer.id);
  });
});

describe('when the products subgraph comes back', () => {
  it('serves it again and is ready, without the gateway restarting', async () => {
    await supergraph.restartProducts();
    const data = await supergraph.data('{ me { id } categories { name } }', {}, { token: customer.token });
    expect(data.me.id).toBe(customer.id);
    expect(data.categories.length).toBeGreaterThan(0);
    const ready = await fetch(`${supergraph.gatewayUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).toEqual({ accounts: 'ready', orders: 'ready', products: 'ready', reviews: 'ready' });
  });
});
