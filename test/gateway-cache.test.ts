import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS, DEFAULT_GATEWAY_CACHE_MAX_BYTES } from '@greencart/gateway';
import { metricValue } from './support/metrics.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The gateway's cache of public answers, through two gateways as two replicas would run, each with
// its own cache and its own connections to the subgraphs' change feeds. Changes are committed in
// SQL, as another replica of a subgraph (or an operator) would make them, so nothing but the feeds
// tells the gateways.

const PRODUCT_QUERY = `query CachedProduct($id: ID!) { product(id: $id) { id name price { amount } stock inStock featuredImage { id altText } rating { count } } }`;
const CATALOGUE_QUERY = `query CachedCatalogue { products(first: 40) { nodes { id price { amount } stock } } }`;
/** The contract: a read that starts this long after a change's commit never shows the state before it. */
const AFTER_COMMIT_MS = 250;

interface ProductState {
  priceCents: number;
  stock: number;
  altText: string;
  reviews: number;
}

let supergraph: TestSupergraph;
let gateways: string[];
let metricsUrls: string[];
let productsSql: postgres.Sql;
let reviewsSql: postgres.Sql;

/** A GET as a browser or CDN sends it, without a token; answers the data and what the cache did. */
async function read(gateway: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const url = new URL('/graphql', gateway);
  url.searchParams.set('query', query);
  url.searchParams.set('variables', JSON.stringify(variables));
  const response = await fetch(url, { headers: { accept: 'application/json', ...headers } });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  return { body, cache: response.headers.get('x-greencart-cache') };
}

/** The state a product shows in an answer. */
const shown = (product: any): ProductState => ({
  priceCents: Math.round(Number(product.price.amount) * 100),
  stock: product.stock,
  altText: product.featuredImage?.altText,
  reviews: product.rating?.count,
});

async function lookups(metricsUrl: string) {
  const [hit, miss, bypass] = await Promise.all(['hit', 'miss', 'bypass'].map((outcome) => metricValue(metricsUrl, 'greencart_gateway_cache_lookups_total', { outcome })));
  return { hit, miss, bypass };
}

beforeAll(async () => {
  supergraph = await startSupergraph({ responseCache: { maxBytes: DEFAULT_GATEWAY_CACHE_MAX_BYTES, maxAgeSeconds: DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS } });
  const replica = await supergraph.startGatewayReplica();
  gateways = [supergraph.gatewayUrl, replica.url];
  metricsUrls = [supergraph.metricsUrls.gateway, replica.metricsUrl];
  productsSql = postgres(supergraph.databaseUrls.products, { max: 4, onnotice: () => {} });
  reviewsSql = postgres(supergraph.databaseUrls.reviews, { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  await Promise.all([productsSql?.end({ timeout: 5 }), reviewsSql?.end({ timeout: 5 })]);
  await supergraph?.stop();
});

/** Commits one change of a kind to a product in its subgraph's database; answers the state it leaves. */
async function commitChange(kind: number, id: string, imageId: string, state: ProductState): Promise<ProductState> {
  switch (kind % 4) {
    case 0: {
      const [row] = await productsSql<Array<{ price_cents: string }>>`update products set price_cents = price_cents + 1 where id = ${id} returning price_cents`;
      return { ...state, priceCents: Number(row!.price_cents) };
    }
    case 1: {
      const [row] = await productsSql<Array<{ stock: number }>>`update products set stock = stock + 1 where id = ${id} returning stock`;
      return { ...state, stock: row!.stock };
    }
    case 2: {
      const altText = `Picture ${randomUUID()}`;
      await productsSql`update product_images set alt_text = ${altText} where id = ${imageId}`;
      return { ...state, altText };
    }
    default: {
      await reviewsSql`insert into reviews (product_id, customer_id, rating, title, body) values (${id}, ${randomUUID()}, 4, 'Good', 'Tasty and fair.')`;
      return { ...state, reviews: state.reviews + 1 };
    }
  }
}

describe("the gateway's cache", () => {
  it('shows every price, stock, image and review change in a read that starts 250 ms after its commit, through two gateways, for 1,000 changes among reads', async () => {
    const catalogue = await read(gateways[0]!, CATALOGUE_QUERY);
    const ids: string[] = catalogue.body.data!.products.nodes.map((node: { id: string }) => node.id);
    expect(ids).toHaveLength(40);
    const products = new Map<string, { imageId: string; state: ProductState }>();
    for (const id of ids) {
      const { body } = await read(gateways[0]!, PRODUCT_QUERY, { id });
      products.set(id, { imageId: body.data!.product.featuredImage.id, state: shown(body.data!.product) });
    }
    const before = await Promise.all(metricsUrls.map(lookups));

    // Readers that keep both gateways' caches warm with the same queries the checks send.
    let reading = true;
    let backgroundReads = 0;
    const readers = Array.from({ length: 3 }, async (_, reader) => {
      for (let index = reader; reading; index++) {
        const gateway = gateways[index % 2]!;
        await (index % 5 === 0 ? read(gateway, CATALOGUE_QUERY) : read(gateway, PRODUCT_QUERY, { id: ids[index % ids.length] }));
        backgroundReads += 1;
        await sleep(5);
      }
    });

    // One chain of changes per product, side by side: commit, wait 250 ms, read it through both gateways.
    const stale: string[] = [];
    let checks = 0;
    let hits = 0;
    const CHANGES = 1_000;
    await Promise.all(
      ids.map(async (id, chain) => {
        const product = products.get(id)!;
        for (let change = chain; change < CHANGES; change += ids.length) {
          product.state = await commitChange(change, id, product.imageId, product.state);
          await sleep(AFTER_COMMIT_MS);
          // Through each, and again through one: the first read of a gateway after a change runs the query, the next may be its answer kept.
          for (const gateway of [...gateways, gateways[change % 2]!]) {
            const answer = await read(gateway, PRODUCT_QUERY, { id });
            const seen = shown(answer.body.data!.product);
            checks += 1;
            if (answer.cache === 'hit') hits += 1;
            if (JSON.stringify(seen) !== JSON.stringify(product.state)) stale.push(`${id} via ${gateway} (${answer.cache}): saw ${JSON.stringify(seen)}, committed ${JSON.stringify(product.state)}`);
          }
          // The list too, every other change, where price and stock show beside every other product's.
          if (change % 2 === 1) continue;
          const listed = (await read(gateways[change % 2]!, CATALOGUE_QUERY)).body.data!.products.nodes.find((node: { id: string }) => node.id === id);
          checks += 1;
          if (Math.round(Number(listed.price.amount) * 100) !== product.state.priceCents || listed.stock !== product.state.stock) stale.push(`${id} in the catalogue: saw ${JSON.stringify(listed)}`);
        }
      }),
    );
    reading = false;
    await Promise.all(readers);
    const after = await Promise.all(metricsUrls.map(lookups));
    const served = after.map((counts, index) => ({
      hit: counts.hit - before[index]!.hit,
      miss: counts.miss - before[index]!.miss,
      bypass: counts.bypass - before[index]!.bypass,
    }));
    console.log(
      `${CHANGES} changes; ${checks} reads 250 ms after a commit, ${stale.length} stale, ${hits} of the product reads from a cache; ${backgroundReads} reads beside them; per gateway ${JSON.stringify(served)}`,
    );
    expect(stale).toEqual([]);
    expect(hits).toBeGreaterThan(0);
  }, 180_000);

  it("bypasses the cache while the products feed's LISTEN connection is cut and until it has resynced, with no stale read, and uses it again after", async () => {
    const id: string = (await read(gateways[0]!, CATALOGUE_QUERY)).body.data!.products.nodes[0].id;
    await untilHit(gateways, PRODUCT_QUERY, { id });

    const cut = await productsSql<Array<{ terminated: boolean }>>`
      select pg_terminate_backend(pid) as terminated from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`;
    expect(cut.length).toBeGreaterThanOrEqual(1);
    // Committed at once, while the feed listens again: its notification may be lost.
    const [row] = await productsSql<Array<{ price_cents: string }>>`update products set price_cents = price_cents + 1 where id = ${id} returning price_cents`;
    const committedAt = Date.now();
    const priceCents = Number(row!.price_cents);

    const outcomes: Record<string, number> = {};
    const stale: string[] = [];
    let hitAfter = false;
    while (Date.now() - committedAt < 4_000 || !hitAfter) {
      if (Date.now() - committedAt > 30_000) break;
      for (const gateway of gateways) {
        const startedAt = Date.now();
        const answer = await read(gateway, PRODUCT_QUERY, { id });
        const key = answer.cache ?? 'none';
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        const seen = shown(answer.body.data!.product).priceCents;
        if (startedAt - committedAt >= AFTER_COMMIT_MS && seen !== priceCents)
          stale.push(`${startedAt - committedAt} ms after the commit via ${gateway} (${answer.cache}): ${seen}, not ${priceCents}`);
        if (startedAt - committedAt >= AFTER_COMMIT_MS && answer.cache === 'hit') hitAfter = true;
      }
      await sleep(20);
    }
    console.log(`LISTEN connection cut (${cut.length}) and a price committed at once: reads over ${Date.now() - committedAt} ms by outcome ${JSON.stringify(outcomes)}; ${stale.length} stale`);
    expect(stale).toEqual([]);
    expect(hitAfter).toBe(true);
  }, 60_000);

  it("never serves a customer's data from the cache, to them or anyone else, under concurrent reads", async () => {
    const ids: string[] = (await read(gateways[0]!, CATALOGUE_QUERY)).body.data!.products.nodes.map((node: { id: string }) => node.id);
    const [ann, bob] = await Promise.all([supergraph.registerCustomer({ name: 'Ann Cache' }), supergraph.registerCustomer({ name: 'Bob Cache' })]);
    const addToCart = `mutation($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code } } }`;
    await supergraph.data(addToCart, { input: { productId: ids[0], quantity: 1 } }, { token: ann.token });
    await supergraph.data(addToCart, { input: { productId: ids[1], quantity: 2 } }, { token: bob.token });
    const MINE = `query Mine { me { id email } cart { totalQuantity items { quantity product { id name } } } orders(first: 5) { totalCount } }`;
    const PUBLIC_WITH_TOKEN = `query Named($id: ID!) { product(id: $id) { id name } }`;

    const seenBy = { ann: new Set<string>(), bob: new Set<string>(), anonymous: new Set<string>() };
    const cached: string[] = [];
    const errors: string[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, round) => {
        const gateway = gateways[round % 2]!;
        const [annSees, bobSees, anonymousSees, annPublic] = await Promise.all([
          read(gateway, MINE, {}, { authorization: `Bearer ${ann.token}` }),
          read(gateway, MINE, {}, { authorization: `Bearer ${bob.token}` }),
          read(gateway, MINE),
          read(gateway, PUBLIC_WITH_TOKEN, { id: ids[0] }, { authorization: `Bearer ${ann.token}` }),
        ]);
        // An answer with errors (a subgraph call that failed under the load, its field null) is
        // printed, and must still hold nothing of the other customer's; the rest must be exactly theirs.
        for (const [answer, own, other] of [
          [annSees, seenBy.ann, bob],
          [bobSees, seenBy.bob, ann],
        ] as const) {
          const text = JSON.stringify(answer.body.data);
          if (!answer.body.errors) own.add(text);
          else {
            errors.push(JSON.stringify(answer.body.errors));
            for (const theirs of [other.id, other.email, ids[other === ann ? 0 : 1]!]) expect(text).not.toContain(theirs);
          }
        }
        seenBy.anonymous.add(JSON.stringify(anonymousSees.body.data?.me ?? null));
        for (const answer of [annSees, bobSees, anonymousSees, annPublic]) if (answer.cache) cached.push(answer.cache);
      }),
    );
    console.log(`Ann saw ${[...seenBy.ann].join(' | ')}; Bob saw ${[...seenBy.bob].join(' | ')}; anonymous saw me = ${[...seenBy.anonymous].join(' | ')}; errors: ${errors.join(' | ') || 'none'}`);
    expect([...seenBy.ann].map((text) => JSON.parse(text))).toEqual([
      { me: { id: ann.id, email: ann.email }, cart: { totalQuantity: 1, items: [{ quantity: 1, product: { id: ids[0], name: expect.any(String) } }] }, orders: { totalCount: 0 } },
    ]);
    expect([...seenBy.bob].map((text) => JSON.parse(text))).toEqual([
      { me: { id: bob.id, email: bob.email }, cart: { totalQuantity: 2, items: [{ quantity: 2, product: { id: ids[1], name: expect.any(String) } }] }, orders: { totalCount: 0 } },
    ]);
    expect([...seenBy.anonymous]).toEqual(['null']);
    // Nothing with a token, and nothing private, is even looked up.
    expect(cached).toEqual([]);
  }, 60_000);

  it('keeps its memory under its bound under a scan of the whole catalogue', async () => {
    const bound = 64 * 1024;
    const small = await supergraph.startGatewayReplica({ responseCache: { maxBytes: bound, maxAgeSeconds: 60 } });
    const PAGE = `query Page($after: String) { products(first: 8, after: $after) { nodes { id name description price { amount } stock category { id name } images { id altText url(width: 320) } rating { average count } } pageInfo { hasNextPage endCursor } } }`;
    const PAGE_OF_ONE = `query One($id: ID!) { product(id: $id) { id sku name description price { amount } stock inStock category { name } recommendations { id name } images { id altText width height url(width: 640) } featuredImage { url(width: 160) } rating { average count distribution { stars count } } reviews(first: 5) { totalCount } } }`;
    await untilHit([small.url], PAGE_OF_ONE, { id: (await read(small.url, CATALOGUE_QUERY)).body.data!.products.nodes[0].id });
    let answerBytes = 0;
    let products = 0;
    for (let pass = 0; pass < 2; pass++) {
      let after: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof read>> = await read(small.url, PAGE, { after });
        answerBytes += JSON.stringify(page.body).length;
        const connection = page.body.data!.products;
        for (const node of connection.nodes) {
          const one = await read(small.url, PAGE_OF_ONE, { id: node.id });
          expect(one.body.errors).toBeUndefined();
          answerBytes += JSON.stringify(one.body).length;
          if (pass === 0) products += 1;
        }
        after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      } while (after);
    }
    const bytes = await metricValue(small.metricsUrl, 'greencart_gateway_cache_bytes');
    const entries = await metricValue(small.metricsUrl, 'greencart_gateway_cache_entries');
    console.log(`Scanned ${products} products twice (${answerBytes} bytes of answers); the cache holds ${entries} answers in ${bytes} bytes of its ${bound}`);
    expect(answerBytes).toBeGreaterThan(2 * bound);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(bound);
  }, 120_000);
});

/** Reads until one of the gateways answers from its cache (it serves nothing until its feeds have proven themselves). */
async function untilHit(at: string[], query: string, variables: Record<string, unknown>): Promise<void> {
  const started = Date.now();
  for (;;) {
    for (const gateway of at) if ((await read(gateway, query, variables)).cache === 'hit') return;
    if (Date.now() - started > 20_000) throw new Error(`No answer from a cache in 20 s for ${query}`);
    await sleep(20);
  }
}
