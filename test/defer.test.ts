import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allParts, mergeParts, multipartParts, postQuery, type Part } from './support/incremental.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// @defer through the gateway (contract: "Incremental delivery"): the first part at once, the
// deferred fragments after it, and merged they are the answer to the same query without @defer.

// The contract's ProductPage without `images` and `featuredImage`, which the API does not have yet.
const PRODUCT_PAGE = /* GraphQL */ `
  query ProductPage($id: ID!) {
    product(id: $id) {
      id
      sku
      name
      description
      price { ...MoneyFields }
      stock
      inStock
      category { id name }
      rating { average count distribution { stars count } }
      recommendations { id name price { ...MoneyFields } }
      ... @defer(label: "together") {
        boughtTogether(first: 4) { id name price { ...MoneyFields } }
      }
      ... @defer(label: "reviews") {
        reviews(first: 5) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { node { ...ReviewFields } }
        }
      }
    }
  }
  fragment MoneyFields on Money { amount currencyCode }
  fragment ReviewFields on Review { id rating title body author { name } createdAt updatedAt }
`;

/** The same operation with every @defer taken out: what the parts must add up to. */
const undeferred = (query: string) => query.replace(/@defer(\([^)]*\))?/g, '');

let supergraph: TestSupergraph;
let graphqlUrl: string;
/** A demo product with orders bought together and reviews. */
let productId: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedDemoHistory: true });
  graphqlUrl = `${supergraph.gatewayUrl}/graphql`;
  const { products } = await supergraph.data(`{ products(first: 50) { edges { node { id boughtTogether(first: 1) { id } reviews(first: 1) { totalCount } } } } }`);
  const reviewed = products.edges.map((edge: { node: { id: string; boughtTogether: unknown[]; reviews: { totalCount: number } | null } }) => edge.node).find((node: { boughtTogether: unknown[]; reviews: { totalCount: number } | null }) => node.boughtTogether.length > 0 && (node.reviews?.totalCount ?? 0) > 0);
  productId = reviewed.id;
}, 120_000);
afterAll(() => supergraph?.stop());

describe('ProductPage with Apollo Client\'s Accept', () => {
  it('answers multipart/mixed: the product first without boughtTogether and reviews, then each at its path with its label', async () => {
    const response = await postQuery(graphqlUrl, PRODUCT_PAGE, { id: productId });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
    const parts = await allParts(response);

    const [initial, ...later] = parts as [Part, ...Part[]];
    expect(initial.hasNext).toBe(true);
    expect(initial.errors).toBeUndefined();
    expect(initial.data.product).toMatchObject({ id: productId, name: expect.any(String), price: { amount: expect.any(String) } });
    expect(initial.data.product).not.toHaveProperty('boughtTogether');
    expect(initial.data.product).not.toHaveProperty('reviews');
    expect(later.at(-1)!.hasNext).toBe(false);
    expect(later.slice(0, -1).every((part) => part.hasNext === true)).toBe(true);
    const items = later.flatMap((part) => part.incremental ?? []);
    expect(items.map((item) => item.label).sort()).toEqual(['reviews', 'together']);
    for (const item of items) expect(item.path).toEqual(['product']);
    expect(items.find((item) => item.label === 'together')!.data).toEqual({ boughtTogether: expect.any(Array) });
    expect(Object.keys(items.find((item) => item.label === 'reviews')!.data)).toEqual(['reviews']);

    const whole = await supergraph.request(undeferred(PRODUCT_PAGE), { id: productId });
    expect(whole.errors).toBeUndefined();
    expect(mergeParts(parts)).toEqual({ data: whole.data, errors: [] });
  });

  it('answers one JSON response, the merged result, to a client that does not accept multipart', async () => {
    const response = await postQuery(graphqlUrl, PRODUCT_PAGE, { id: productId }, 'application/json');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await response.json();
    const whole = await supergraph.request(undeferred(PRODUCT_PAGE), { id: productId });
    expect(body).toEqual({ data: whole.data });
  });
});
