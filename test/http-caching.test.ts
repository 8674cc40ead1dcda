import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentHash } from '@greencart/gateway';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

const CATALOGUE_PAGE = /* GraphQL */ `
  query CataloguePage {
    products(first: 3) {
      edges {
        cursor
        node {
          ...Card
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
    categories {
      id
      name
    }
  }
  fragment Card on Product {
    __typename
    id
    title: name
    price {
      amount
      currencyCode
    }
    ... on Product {
      inStock
      rating {
        average
        count
      }
      reviews(first: 2) {
        nodes {
          title
          author {
            name
          }
        }
      }
      boughtTogether {
        id
      }
    }
  }
`;

const PRIVATE = 'private, no-store';

/** A query of the client's persisted documents (client/persisted-documents.json), as normalised there. */
const CATEGORIES_IN_MANIFEST = 'query Categories {\n  categories {\n    id\n    name\n    productCount\n  }\n}';

/** Sends a GraphQL GET, as a browser or CDN would. */
async function get(supergraph: TestSupergraph, query: string, options: { variables?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
  const url = new URL(`${supergraph.gatewayUrl}/graphql`);
  url.searchParams.set('query', query);
  if (options.variables) url.searchParams.set('variables', JSON.stringify(options.variables));
  const response = await fetch(url, { headers: options.headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function post(supergraph: TestSupergraph, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(`${supergraph.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('with public caching on (PUBLIC_CACHE_MAX_AGE default, 10 s)', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph();
  });
  afterAll(() => supergraph?.stop());

  it('lets a CDN reuse a public catalogue GET, with an ETag that answers 304 with no body', async () => {
    const first = await get(supergraph, CATALOGUE_PAGE);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text).errors).toBeUndefined();
    expect(first.headers.get('cache-control')).toBe('public, max-age=10');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('vary')).toMatch(/\bAuthorization\b/i);
    expect(first.headers.get('vary')).toMatch(/\bAccept\b/i);
    expect(first.headers.get('vary')).toMatch(/\bOrigin\b/i);

    const again = await get(supergraph, CATALOGUE_PAGE, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);

    const stale = await get(supergraph, CATALOGUE_PAGE, { headers: { 'if-none-match': '"another"' } });
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(first.text);
  });

  it('keeps an answer private when a token is sent, even for public fields', async () => {
    const { token } = await supergraph.registerCustomer();
    const answer = await get(supergraph, CATALOGUE_PAGE, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe(PRIVATE);
    expect(answer.headers.get('etag')).toBeNull();
  });

  it.each([
    ['the signed-in customer', '{ me { id } }'],
    ['a cart', '{ cart { id } }'],
    ['public and private fields together', '{ products(first: 1) { nodes { id } } me { id } }'],
    ['a private field in a fragment', '{ categories { id } ...Me } fragment Me on Query { me { id } }'],
    ['introspection', '{ __schema { queryType { name } } }'],
  ])('keeps a GET of %s private', async (_name, query) => {
    const answer = await get(supergraph, query);
    expect(answer.headers.get('cache-control')).toBe(PRIVATE);
    expect(answer.headers.get('etag')).toBeNull();
  });

  it('lets a CDN reuse a persisted document sent over GET by its hash', async () => {
    const query = '{ categories { id name productCount } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    // Apollo's automatic persisted queries: the first POST with the text registers the hash.
    const registered = await fetch(`${supergraph.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, extensions: { persistedQuery } }),
    });
    expect(registered.status).toBe(200);
    const url = new URL(`${supergraph.gatewayUrl}/graphql`);
    url.searchParams.set('extensions', JSON.stringify({ persistedQuery }));
    const answer = await fetch(url);
    expect(((await answer.json()) as { data?: { categories?: unknown[] } }).data?.categories?.length).toBeGreaterThan(0);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=10');
    expect(answer.headers.get('etag')).toMatch(/^"[\w-]+"$/);
  });

  it('keeps an answer in parts (@defer) private', async () => {
    const query = '{ products(first: 1) { nodes { id ... @defer { rating { average } } } } }';
    const answer = await get(supergraph, query, { headers: { accept: 'multipart/mixed;deferSpec=20220824, application/json' } });
    expect(answer.headers.get('content-type')).toContain('multipart/mixed');
    expect(answer.headers.get('cache-control')).toBe(PRIVATE);
    expect(answer.headers.get('etag')).toBeNull();
    // The same query answered whole is public.
    expect((await get(supergraph, query)).headers.get('cache-control')).toBe('public, max-age=10');
  });

  it('keeps an answer with errors private', async () => {
    const answer = await get(supergraph, '{ products(first: 1000) { nodes { id } } }');
    expect(JSON.parse(answer.text).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.headers.get('cache-control')).toBe(PRIVATE);
    expect(answer.headers.get('etag')).toBeNull();
  });

  it('keeps a POST private, public fields or not (the contract caches GETs)', async () => {
    const answer = await post(supergraph, CATALOGUE_PAGE);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe(PRIVATE);
    expect(answer.headers.get('etag')).toBeNull();
  });

  it('keeps mutations private, over POST and refused over GET', async () => {
    const login = 'mutation { login(input: { email: "nobody@example.com", password: "wrong password" }) { token } }';
    expect((await post(supergraph, login)).headers.get('cache-control')).toBe(PRIVATE);
    const overGet = await get(supergraph, login);
    expect(overGet.status).toBe(405);
    expect(overGet.headers.get('cache-control')).toBe(PRIVATE);
  });

  it('keeps a refusal before GraphQL private', async () => {
    const answer = await get(supergraph, '{ products(first: 1) { nodes { id } ');
    expect(answer.status).toBe(400);
    expect(answer.headers.get('cache-control')).toBe(PRIVATE);
  });

  it('gives a changed product another ETag, and a client holding the old one the new answer', async () => {
    const query = '{ products(first: 1) { nodes { id name price { amount } } } }';
    const before = await get(supergraph, query);
    const product = JSON.parse(before.text).data.products.nodes[0];
    const admin = await supergraph.adminToken();
    await supergraph.data(
      'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { userErrors { code } } }',
      { id: product.id, input: { price: (Number(product.price.amount) + 1).toFixed(2) } },
      { token: admin },
    );
    const after = await get(supergraph, query, { headers: { 'if-none-match': before.headers.get('etag')! } });
    expect(after.status).toBe(200);
    expect(after.headers.get('cache-control')).toBe('public, max-age=10');
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(JSON.parse(after.text).data.products.nodes[0].price.amount).toBe((Number(product.price.amount) + 1).toFixed(2));
  });
});

describe('with PUBLIC_CACHE_MAX_AGE=0', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ publicCacheMaxAgeSeconds: 0 });
  });
  afterAll(() => supergraph?.stop());

  it('keeps even a public catalogue GET private, with no ETag', async () => {
    const answer = await get(supergraph, CATALOGUE_PAGE);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe(PRIVATE);
    expect(answer.headers.get('etag')).toBeNull();
  });
});

describe('with the safelist on and PUBLIC_CACHE_MAX_AGE=30', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ safelist: true, publicCacheMaxAgeSeconds: 30 });
  });
  afterAll(() => supergraph?.stop());

  it('lets a CDN reuse a persisted document sent over GET by its documentId, for 30 s', async () => {
    const url = new URL(`${supergraph.gatewayUrl}/graphql`);
    url.searchParams.set('documentId', `sha256:${documentHash(CATEGORIES_IN_MANIFEST)}`);
    const answer = await fetch(url);
    expect(((await answer.json()) as { data?: { categories?: unknown[] } }).data?.categories?.length).toBeGreaterThan(0);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=30');
    const etag = answer.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(url, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });
});
