import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@greencart/client';
import { documentHash } from '@greencart/gateway';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

const CATEGORIES_IN_MANIFEST = 'query Categories {\n  categories {\n    id\n    name\n    productCount\n  }\n}';

describe('with the safelist on', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ safelist: true });
  });
  afterAll(() => supergraph?.stop());

  const post = (body: Record<string, unknown>) =>
    fetch(`${supergraph.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as { data?: { categories?: unknown[] }; errors?: Array<{ extensions?: { code?: string } }> },
    }));

  it('runs the client SDK operations, which are in the manifest', async () => {
    const client = createClient({ url: `${supergraph.gatewayUrl}/graphql` });
    expect((await client.Categories()).categories?.length).toBeGreaterThan(0);
    expect((await client.Products({ first: 2 })).products?.edges).toHaveLength(2);
  });

  it('runs a manifest operation named by its hash (documentId or Apollo persisted query)', async () => {
    const hash = documentHash(CATEGORIES_IN_MANIFEST);
    expect((await post({ documentId: `sha256:${hash}` })).body.data?.categories?.length).toBeGreaterThan(0);
    expect((await post({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })).body.data?.categories?.length).toBeGreaterThan(0);
  });

  it('accepts the full text of a manifest operation however it is spaced', async () => {
    expect((await post({ query: 'query Categories{categories{id name productCount}}' })).body.data?.categories?.length).toBeGreaterThan(0);
  });

  it('refuses any other operation before a subgraph does any work', async () => {
    supergraph.statements.products.reset();
    const answer = await post({ query: '{ categories { id name } }' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('OPERATION_NOT_IN_SAFELIST');
    expect(supergraph.statements.products.count).toBe(0);
  });

  it('refuses an unknown hash', async () => {
    const answer = await post({ documentId: `sha256:${'0'.repeat(64)}` });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('with the safelist off (development)', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ seedCatalogue: false });
  });
  afterAll(() => supergraph?.stop());

  it('runs any operation', async () => {
    const data = await supergraph.data('{ categories { id name } }');
    expect(data.categories).toEqual([]);
  });
});
