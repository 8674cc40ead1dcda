import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/** A database that goes away and comes back: the services heal without a restart of their own. */
let database: OwnPostgres;
let supergraph: TestSupergraph;

beforeAll(async () => {
  database = await startOwnPostgres('restart');
  supergraph = await startSupergraph({ postgresServerUrl: database.url });
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
});
