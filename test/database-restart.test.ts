import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, startEmbeddedPostgres, type EmbeddedPostgresServer } from '@greencart/platform';
import { freePort } from './support/ports.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/** A database that goes away and comes back: the services heal without a restart of their own. */
let folder: string;
let port: number;
let database: EmbeddedPostgresServer;
let supergraph: TestSupergraph;
const startDatabase = () => startEmbeddedPostgres({ dataDir: join(folder, 'postgres'), port, logger: createLogger('test-postgres', 'warn') });

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'greencart-restart-'));
  await chmod(folder, 0o755);
  port = await freePort();
  database = await startDatabase();
  supergraph = await startSupergraph({ postgresServerUrl: database.url });
});
afterAll(async () => {
  await supergraph?.stop();
  await database?.stop();
  await rm(folder, { recursive: true, force: true });
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

    database = await startDatabase();
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
