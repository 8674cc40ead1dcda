import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { answerDependencies, FRESHNESS_MS, ResponseCache, type FollowedFeed } from '../src/response-cache.js';

// The gateway walks answers with Apollo's CommonJS copy of graphql; the schema must come from the same copy.
const { buildSchema, parse, getOperationAST } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const schema = buildSchema(`
  type Query { product(id: ID!): Product, products(first: Int): ProductConnection!, categories: [Category!]! }
  type ProductConnection { nodes: [Product!]!, totalCount: Int! }
  type Product { id: ID!, name: String!, category: Category!, rating: Rating, images: [ProductImage!]! }
  type Category { id: ID!, name: String! }
  type Rating { count: Int! }
  type ProductImage { id: ID!, altText: String! }
`);

const dependenciesOf = (query: string, data: Record<string, unknown>) => {
  const document = parse(query);
  const found = answerDependencies(schema, document, getOperationAST(document)!, data);
  return { entities: [...found.entities].sort(), types: [...found.types].sort() };
};

describe('answerDependencies', () => {
  it('names every entity of a one-product answer, through aliases and fragments, and no whole type', () => {
    const query = `query { p: product(id: "A") { ...Card category { id name } rating { count } } } fragment Card on Product { key: id name }`;
    const data = { p: { key: 'AAA', name: 'Oats', category: { id: 'C1', name: 'Grains' }, rating: { count: 2 } } };
    expect(dependenciesOf(query, data)).toEqual({ entities: ['Category:c1', 'Product:aaa'], types: [] });
  });

  it('makes a list at the root depend on every type it may hold, even when it holds none', () => {
    const query = `{ products(first: 2) { totalCount nodes { id images { altText } } } }`;
    expect(dependenciesOf(query, { products: { totalCount: 0, nodes: [] } })).toEqual({ entities: [], types: ['Product', 'ProductImage'] });
  });

  it('makes an entity whose id was not selected, or a product not found, depend on its whole type', () => {
    expect(dependenciesOf(`{ product(id: "A") { name } }`, { product: { name: 'Oats' } })).toEqual({ entities: [], types: ['Product'] });
    expect(dependenciesOf(`{ product(id: "A") { id } }`, { product: null })).toEqual({ entities: [], types: ['Product'] });
  });
});

/** A feed the test drives by hand. */
function handFeed(name: string) {
  let listener: Parameters<FollowedFeed['listen']>[0] | undefined;
  const feed: FollowedFeed = {
    name,
    listen(given) {
      listener = given;
      return () => (listener = undefined);
    },
  };
  return { feed, change: (typename: string, id: string) => listener!.change({ typename, id }), resync: () => listener!.resync(), alive: (at: number) => listener!.alive!(at) };
}

describe('ResponseCache', () => {
  const setUp = (maxBytes = 1024 * 1024) => {
    let now = 1_000_000;
    const products = handFeed('products');
    const reviews = handFeed('reviews');
    const cache = new ResponseCache({ maxBytes, maxAgeSeconds: 10, feeds: [products.feed, reviews.feed], now: () => now });
    const proveAlive = () => {
      products.alive(now);
      reviews.alive(now);
    };
    return { cache, products, reviews, proveAlive, advance: (ms: number) => (now += ms) };
  };
  const oneProduct = { entities: new Set(['Product:a']), types: new Set<string>() };
  const aList = { entities: new Set<string>(), types: new Set(['Product']) };

  it('needs every feed proven within FRESHNESS_MS of the read, waiting a little for a late one and not for one away', async () => {
    const { cache, products, reviews, proveAlive, advance } = setUp();
    expect(cache.following()).toBe(false);
    products.alive(1_000_000);
    expect(cache.provenSince(cache.provenTimeNeeded())).toBe(false);
    reviews.alive(1_000_000);
    expect(cache.following()).toBe(true);
    expect(cache.provenSince(cache.provenTimeNeeded())).toBe(true);
    advance(FRESHNESS_MS + 1);
    const needed = cache.provenTimeNeeded();
    expect(cache.provenSince(needed)).toBe(false);
    const late = cache.whenProvenSince(needed, 1_000);
    proveAlive();
    expect(await late).toBe(true);
    advance(5_000);
    expect(await cache.whenProvenSince(cache.provenTimeNeeded(), 1_000)).toBe(false);
  });

  it('drops the answers holding a changed entity, and every list of its type', () => {
    const { cache, products, proveAlive } = setUp();
    proveAlive();
    cache.set('one', '1', oneProduct, cache.epoch);
    cache.set('other', '2', { entities: new Set(['Product:b']), types: new Set() }, cache.epoch);
    cache.set('list', '3', aList, cache.epoch);
    products.change('Product', 'A');
    expect([cache.get('one'), cache.get('other'), cache.get('list')]).toEqual([undefined, '2', undefined]);
  });

  it('does not keep an answer computed while a change it holds was told, but keeps one the change does not touch', () => {
    const { cache, reviews, proveAlive } = setUp();
    proveAlive();
    const started = cache.epoch;
    reviews.change('Product', 'a');
    expect(cache.set('one', '1', oneProduct, started)).toBe(false);
    expect(cache.set('other', '2', { entities: new Set(['Product:b']), types: new Set() }, started)).toBe(true);
  });

  it('does not keep an answer whose request started before more invalidations than it remembers', () => {
    const { cache, products, proveAlive } = setUp();
    proveAlive();
    const started = cache.epoch;
    for (let index = 0; index < 10_000; index++) products.change('Product', `other-${index}`);
    expect(cache.set('one', '1', oneProduct, started)).toBe(false);
    expect(cache.set('one', '1', oneProduct, cache.epoch - 100)).toBe(true);
  });

  it('forgets everything when a feed resyncs, keeps nothing a request started before it computed, and follows again once that feed proves itself', () => {
    const { cache, products, proveAlive } = setUp();
    proveAlive();
    cache.set('one', '1', oneProduct, cache.epoch);
    const started = cache.epoch;
    products.resync();
    expect(cache.get('one')).toBeUndefined();
    expect(cache.following()).toBe(false);
    expect(cache.set('one', '1', oneProduct, started)).toBe(false);
    proveAlive();
    expect(cache.following()).toBe(true);
    expect(cache.set('one', '1', oneProduct, cache.epoch)).toBe(true);
  });

  it('needs every feed proven past the last mutation this gateway answered', () => {
    const { cache, proveAlive, advance } = setUp();
    proveAlive();
    advance(10);
    cache.wrote();
    expect(cache.provenSince(cache.provenTimeNeeded())).toBe(false);
    proveAlive();
    expect(cache.provenSince(cache.provenTimeNeeded())).toBe(true);
  });

  it("admits an answer on its key's second miss within the longest age, not its first, and forgets a key missed once long ago", () => {
    const { cache, advance } = setUp();
    expect([cache.admits('page-a'), cache.admits('page-a'), cache.admits('page-b')]).toEqual([false, true, false]);
    // Remembered between half and the whole of maxAgeSeconds (10 s): two generations of 5 s.
    advance(6_000);
    expect(cache.admits('page-b')).toBe(true);
    expect(cache.admits('page-c')).toBe(false);
    advance(11_000);
    expect([cache.admits('page-a'), cache.admits('page-c')]).toEqual([false, false]);
  });

  it('keeps its byte count under its bound, pushing out the least recently used', () => {
    const { cache, proveAlive } = setUp(16 * 1024);
    proveAlive();
    for (let index = 0; index < 100; index++) cache.set(`answer-${index}`, 'x'.repeat(1000), { entities: new Set([`Product:${index}`]), types: new Set() }, cache.epoch);
    expect(cache.bytes).toBeLessThanOrEqual(16 * 1024);
    expect(cache.get('answer-99')).toBeDefined();
    expect(cache.get('answer-0')).toBeUndefined();
  });
});
