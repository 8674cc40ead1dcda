import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from './support/metrics.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// A query one subgraph answers whole takes the gateway's shortcut from its second request on (the
// first teaches the gateway its plan): the answer must be the one the gateway's own path gives.
let supergraph: TestSupergraph;
beforeAll(async () => {
  supergraph = await startSupergraph();
});
afterAll(() => supergraph?.stop());

const answered = (outcome: 'answered' | 'fallback') => metricValue(supergraph.metricsUrls.gateway, 'greencart_gateway_single_fetch_total', { outcome });

describe('queries one subgraph answers whole', () => {
  it("answers a category's page, aliases and skipped fields included, as the gateway's own path did", async () => {
    const query = `query Page($first: Int!, $withStock: Boolean!) {
      products(first: $first) { nodes { id title: name price { amount currencyCode } stock @include(if: $withStock) category { id name } } totalCount }
      categories { id name }
    }`;
    const before = await answered('answered');
    const first = await supergraph.request(query, { first: 20, withStock: false });
    const again = await Promise.all([supergraph.request(query, { first: 20, withStock: false }), supergraph.request(query, { first: 20, withStock: true })]);
    const taken = (await answered('answered')) - before;
    console.log(`the page asked three times: ${taken} answered by the shortcut`);
    expect(first.errors).toBeUndefined();
    expect(JSON.stringify(again[0])).toBe(JSON.stringify(first));
    expect(again[1].data).toMatchObject({ products: { nodes: expect.arrayContaining([expect.objectContaining({ stock: expect.any(Number) })]) } });
    expect(Object.keys((again[1].data as { products: { nodes: Record<string, unknown>[] } }).products.nodes[0]!)).toEqual(['id', 'title', 'price', 'stock', 'category']);
    expect(taken).toBe(2);
  });

  it("gives a refused query's error as the gateway's own path did, through it", async () => {
    const query = `query TooMany { products(first: 1000) { nodes { id } } }`;
    const before = await answered('fallback');
    const first = await supergraph.request(query);
    const again = await supergraph.request(query);
    expect(first.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    expect((await answered('fallback')) - before).toBe(1);
  });
});
