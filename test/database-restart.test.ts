import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS, DEFAULT_GATEWAY_CACHE_MAX_BYTES } from '@greencart/gateway';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/** A database that goes away and comes back: the services heal without a restart of their own. */
let database: OwnPostgres;
let supergraph: TestSupergraph;

beforeAll(async () => {
  database = await startOwnPostgres('restart');
  supergraph = await startSupergraph({ postgresServerUrl: database.url, responseCache: { maxBytes: DEFAULT_GATEWAY_CACHE_MAX_BYTES, maxAgeSeconds: DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS } });
});
afterAll(async () => {
  await supergraph?.stop();
  await database?.remove();
});

const catalogue = '{ products(first: 1) { totalCount } }';

describe('when PostgreSQL restarts', () => {
  it('answers with an error while it is down and heals within 30 s of its return', async () => {
    const customer = await supergraph.registerCustomer();
    expect((await supergraph.data(catalogue)).products.totalCount).toBeGreaterThan(0);

    await database.stop();
    const down = await supergraph.request(catalogue);
    expect(down.errors?.length).toBeGreaterThan(0);
    expect((await fetch(`${supergraph.gatewayUrl}/health`)).status).toBe(200);
    expect((await fetch(`${supergraph.gatewayUrl}/ready`)).status).toBe(503);

    await database.start();
    const back = Date.now();
    let healed = false;
    while (!healed && Date.now() - back < 30_000) {
      const response = await supergraph.request(catalogue);
      healed = response.errors === undefined && response.data?.products?.totalCount > 0;
      if (!healed) await sleep(250);
    }
    expect(healed).toBe(true);
    // Every subgraph's pool is back: accounts and orders answer too, and writes work.
    expect((await supergraph.data('{ me { id } cart { id } }', {}, { token: customer.token })).me.id).toBe(customer.id);
    expect((await fetch(`${supergraph.gatewayUrl}/ready`)).status).toBe(200);
  });

  it("bypasses the gateway's cache from when the database goes until its change feeds are back, with no stale read after", async () => {
    const query = `query CachedProduct($id: ID!) { product(id: $id) { id price { amount } } }`;
    const read = async (id: string) => {
      const url = new URL('/graphql', supergraph.gatewayUrl);
      url.searchParams.set('query', query);
      url.searchParams.set('variables', JSON.stringify({ id }));
      const response = await fetch(url);
      const body = (await response.json()) as { data?: { product: { price: { amount: string } } | null } };
      return { cents: body.data?.product ? Math.round(Number(body.data.product.price.amount) * 100) : undefined, cache: response.headers.get('x-greencart-cache') };
    };
    const id: string = (await supergraph.data('{ products(first: 1) { nodes { id } } }')).products.nodes[0].id;
    const waitForHit = async (limitMs: number) => {
      const started = Date.now();
      while (Date.now() - started < limitMs) {
        if ((await read(id)).cache === 'hit') return true;
        await sleep(50);
      }
      return false;
    };
    expect(await waitForHit(30_000)).toBe(true);

    await database.stop();
    const stoppedAt = Date.now();
    const whileDown: Record<string, number> = {};
    while (Date.now() - stoppedAt < 1_500) {
      const startedAt = Date.now();
      const answer = await read(id);
      if (startedAt - stoppedAt >= 250) whileDown[answer.cache ?? 'none'] = (whileDown[answer.cache ?? 'none'] ?? 0) + 1;
      await sleep(50);
    }

    await database.start();
    // A price committed as soon as the database takes it, perhaps before the feed listens again.
    const productsSql = postgres(supergraph.databaseUrls.products, { max: 1, onnotice: () => {} });
    let cents: number | undefined;
    let committedAt = 0;
    try {
      for (let attempt = 0; cents === undefined; attempt++) {
        try {
          const [row] = await productsSql<Array<{ price_cents: string }>>`update products set price_cents = price_cents + 7 where id = ${id} returning price_cents`;
          cents = Number(row!.price_cents);
          committedAt = Date.now();
        } catch (error) {
          if (attempt === 100) throw error;
          await sleep(100);
        }
      }
    } finally {
      await productsSql.end({ timeout: 5 });
    }
    const afterCommit: Record<string, number> = {};
    const stale: string[] = [];
    let hitAgain = false;
    while (!hitAgain && Date.now() - committedAt < 45_000) {
      const startedAt = Date.now();
      const answer = await read(id);
      afterCommit[answer.cache ?? 'none'] = (afterCommit[answer.cache ?? 'none'] ?? 0) + 1;
      if (startedAt - committedAt >= 250 && answer.cents !== undefined && answer.cents !== cents)
        stale.push(`${startedAt - committedAt} ms after the commit (${answer.cache}): ${answer.cents}, not ${cents}`);
      hitAgain = startedAt - committedAt >= 250 && answer.cache === 'hit';
      if (!hitAgain) await sleep(50);
    }
    console.log(
      `Reads while the database was down, by cache outcome: ${JSON.stringify(whileDown)}; after it came back and a price was committed: ${JSON.stringify(afterCommit)}, ${stale.length} stale, the cache used again after ${Date.now() - committedAt} ms`,
    );
    expect(whileDown.hit ?? 0).toBe(0);
    expect(stale).toEqual([]);
    expect(hitAgain).toBe(true);
  }, 120_000);
});
