import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, databaseUrl, dropDatabase, ensureDatabase, openDatabase, postgresErrorCode, type Database } from '@greencart/platform';
import { prepareProductsDatabase, seedDemoCatalogue } from '@greencart/products';
import * as schema from '../subgraphs/products/src/db/schema.js';

// Migration 0002 makes SKUs unique in any letter case. On a database that already holds SKUs
// differing only in case it must refuse with a message naming them and change nothing; once they
// are renamed it applies. And seeding the demo catalogue must still work when an admin has made a
// demo SKU in another case.

const MIGRATIONS = fileURLToPath(new URL('../subgraphs/products/migrations', import.meta.url));
const SKU_MIGRATION = '0002_sku_unique_in_any_case';

const serverUrl = inject('postgresServerUrl');
const databaseNames: string[] = [];
let before0002: string;

/** A fresh, empty database on the run's server, dropped after the file. */
async function freshDatabase(): Promise<Database<typeof schema>> {
  const name = `test_${randomBytes(5).toString('hex')}_sku_migration`;
  databaseNames.push(name);
  await ensureDatabase(serverUrl, name);
  return openDatabase({ url: databaseUrl(serverUrl, name), schema });
}

/** The error a promise rejects with, with the text PostgreSQL gave (drizzle wraps it as the cause). */
async function failure(promise: Promise<unknown>): Promise<{ code: string | undefined; text: string }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'expected a failure').toBeInstanceOf(Error);
  const texts: string[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    texts.push(current.message, String((current as { hint?: unknown }).hint ?? ''));
  }
  return { code: postgresErrorCode(error), text: texts.join('\n') };
}

async function productIndexes(database: Database<typeof schema>): Promise<string[]> {
  const rows = await database.sql<Array<{ indexname: string }>>`select indexname from pg_indexes where tablename = 'products' order by indexname`;
  return rows.map((row) => row.indexname);
}

beforeAll(async () => {
  // The committed migrations up to, not including, the SKU one: a database as it was before.
  before0002 = await mkdtemp(join(tmpdir(), 'greencart-migrations-'));
  await cp(MIGRATIONS, before0002, { recursive: true });
  const journalPath = join(before0002, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
  const index = journal.entries.findIndex((entry) => entry.tag === SKU_MIGRATION);
  expect(index).toBeGreaterThan(0);
  await writeFile(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
});
afterAll(async () => {
  await rm(before0002, { recursive: true, force: true });
  await Promise.all(databaseNames.map((name) => dropDatabase(serverUrl, name)));
});

describe('migration 0002: SKUs unique in any letter case', () => {
  let database: Database<typeof schema>;
  afterEach(() => database?.close());

  it('refuses a database with SKUs that differ only in case, naming every clash, and changes nothing; applies once they are renamed', async () => {
    database = await freshDatabase();
    await applyMigrations(database, before0002);
    const [category] = await database.sql<Array<{ id: string }>>`insert into categories (name) values ('Jams') returning id`;
    const insert = (sku: string) => database.sql<Array<{ id: string }>>`
      insert into products (sku, name, price_cents, stock, category_id) values (${sku}, ${`Product ${sku}`}, 100, 1, ${category!.id}) returning id`;
    await insert('JAM-1');
    const [jamLower] = await insert('jam-1');
    const [jamTitle] = await insert('Jam-1');
    await insert('OAT-1');
    const [oatLower] = await insert('oat-1');
    await insert('RYE-1');
    const indexesBefore = await productIndexes(database);

    const refused = await failure(applyMigrations(database, MIGRATIONS));

    expect(refused.text).toContain('Cannot make SKUs unique in any letter case: these SKUs differ only in case');
    for (const sku of ['JAM-1', 'jam-1', 'Jam-1', 'OAT-1', 'oat-1']) expect(refused.text).toContain(`${sku} (id `);
    expect(refused.text).toContain(`jam-1 (id ${jamLower!.id})`);
    expect(refused.text).not.toContain('RYE-1');
    expect(refused.text).toContain('Rename all but one SKU of each group');
    // Nothing changed: the old index is there, the new one is not, and 0002 is not recorded.
    expect(await productIndexes(database)).toEqual(indexesBefore);
    expect(indexesBefore).toContain('products_sku_key');
    const [applied] = await database.sql<Array<{ count: number }>>`select count(*)::int as count from drizzle.__drizzle_migrations`;
    expect(applied!.count).toBe(2);
    expect((await database.sql`select sku from products order by sku`).map((row) => row.sku)).toEqual(['JAM-1', 'Jam-1', 'OAT-1', 'RYE-1', 'jam-1', 'oat-1'].sort());

    // As the hint says: rename all but one of each group, and start again.
    await database.sql`update products set sku = 'JAM-1-B' where id = ${jamTitle!.id}`;
    await database.sql`update products set sku = 'JAM-1-C' where id = ${jamLower!.id}`;
    await database.sql`update products set sku = 'OAT-2' where id = ${oatLower!.id}`;
    await applyMigrations(database, MIGRATIONS);

    const indexes = await productIndexes(database);
    expect(indexes).toContain('products_sku_lower_key');
    expect(indexes).not.toContain('products_sku_key');
    // From now on the index decides, whatever the application checks.
    expect((await failure(insert('rye-1'))).code).toBe('23505');
    await insert('RYE-2');
  });

  it('applies at once to a database whose SKUs are already unique in any case', async () => {
    database = await freshDatabase();
    await applyMigrations(database, before0002);
    const [category] = await database.sql<Array<{ id: string }>>`insert into categories (name) values ('Oats') returning id`;
    await database.sql`insert into products (sku, name, price_cents, stock, category_id) values ('OAT-1', 'Oats', 100, 1, ${category!.id}), ('oat-2', 'More oats', 100, 1, ${category!.id})`;
    await applyMigrations(database, MIGRATIONS);
    expect(await productIndexes(database)).toContain('products_sku_lower_key');
  });
});

describe('seeding the demo catalogue', () => {
  it('takes a product an admin made with a demo SKU in another case for the demo one, and seeds the rest', async () => {
    const name = `test_${randomBytes(5).toString('hex')}_sku_seed`;
    databaseNames.push(name);
    const database = await prepareProductsDatabase({ serverUrl, name });
    try {
      const [category] = await database.sql<Array<{ id: string }>>`insert into categories (name) values ('Admin made') returning id`;
      const [own] = await database.sql<Array<{ id: string }>>`
        insert into products (sku, name, price_cents, stock, category_id) values ('prd-apple-1kg', 'My apples', 500, 3, ${category!.id}) returning id`;

      await seedDemoCatalogue(database.db);
      await seedDemoCatalogue(database.db);

      const apples = await database.sql<Array<{ id: string; sku: string; name: string }>>`select id, sku, name from products where lower(sku) = 'prd-apple-1kg'`;
      expect(apples).toEqual([{ id: own!.id, sku: 'prd-apple-1kg', name: 'My apples' }]);
      const [recommended] = await database.sql<Array<{ count: number }>>`
        select count(*)::int as count from product_recommendations where product_id = ${own!.id} or recommended_product_id = ${own!.id}`;
      expect(recommended!.count).toBeGreaterThan(0);
      const [demo] = await database.sql<Array<{ count: number }>>`select count(*)::int as count from products where sku = 'PRD-BANANA-6'`;
      expect(demo!.count).toBe(1);
    } finally {
      await database.close();
    }
  });
});
