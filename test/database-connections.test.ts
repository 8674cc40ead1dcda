import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { databaseUrl, dropDatabase, ensureDatabase, openDatabase, type Database } from '@greencart/platform';

/**
 * The services' pools (openDatabase) as a database outage leaves them: every connection cut, new
 * ones opened. postgres.js asks each new connection for the server's array types unless told not
 * to, and a cut during that query was an unhandled rejection that ended the process (seen in
 * database-faults.test.ts); the pools ask nothing of the kind, and bind uuid[] all the same.
 */
describe('a service database pool', () => {
  const serverUrl = inject('postgresServerUrl');
  const name = `pool_${randomBytes(4).toString('hex')}`;
  const statements: string[] = [];
  let database: Database<Record<string, never>>;
  let admin: postgres.Sql;

  beforeAll(async () => {
    await ensureDatabase(serverUrl, name);
    database = openDatabase({ url: databaseUrl(serverUrl, name), schema: {}, maxConnections: 4, onStatement: (statement) => statements.push(statement) });
    admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await database?.close();
    await admin?.end({ timeout: 5 });
    await dropDatabase(serverUrl, name);
  });

  it('opens new connections after every one is cut without a query of its own, and binds uuid[] parameters', async () => {
    const ids = ['1b4e28ba-2fa1-11d2-883f-0016d3cca427', '6fa459ea-ee8a-3ca4-894e-db77e160355e'];
    // Statements that meet a connection the server closed fail (as they would in a service); the
    // pool opens a new connection for the next.
    const roundTrip = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await database.sql<Array<{ id: string }>>`select unnest(${ids}::uuid[])::text as id`;
        } catch (error) {
          if (attempt === 10) throw error;
          await sleep(50);
        }
      }
    };
    // Four connections at once, then all of them cut by the server, twice.
    const cuts: number[] = [];
    for (let round = 0; round < 2; round++) {
      await Promise.all(Array.from({ length: 4 }, () => database.sql`select pg_sleep(0.05)`));
      const victims = await admin<Array<{ pid: number }>>`select pid from pg_stat_activity where datname = ${name}`;
      const [{ cut }] = await admin<
        [{ cut: number }]
      >`select count(*) filter (where pg_terminate_backend(pid))::int as cut from unnest(${admin.array(victims.map((victim) => victim.pid))}::int[]) as pid`;
      cuts.push(cut);
      // Gone on the server before the pool is used again (a backend ends a moment after it is told to).
      while ((await admin`select 1 from pg_stat_activity where pid = any(${admin.array(victims.map((victim) => victim.pid))}::int[])`).length > 0) await sleep(20);
      await roundTrip();
    }
    const rows = await roundTrip();
    console.info(`connections cut: ${cuts.join(', ')}; statements sent: ${statements.length}, of them to pg_catalog: ${statements.filter((statement) => /pg_catalog/.test(statement)).length}`);
    expect(
      cuts.every((cut) => cut > 0),
      'connections were cut',
    ).toBe(true);
    expect(rows.map((row) => row.id)).toEqual(ids);
    expect(statements.filter((statement) => /pg_catalog|pg_type/.test(statement))).toEqual([]);
  });

  it("refuses a uuid[] element that is not a UUID with PostgreSQL's own error, quotes and all", async () => {
    const error = await database.sql`select ${['"},{1b4e28ba-2fa1-11d2-883f-0016d3cca427']}::uuid[]`.then(
      () => undefined,
      (failure: { code?: string }) => failure,
    );
    expect(error?.code).toBe('22P02');
  });
});
