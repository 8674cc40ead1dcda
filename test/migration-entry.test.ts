import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { databaseUrl, dropDatabase, environmentNameOf, repositoryManifest, repositoryRoot } from '@greencart/platform';

// Each subgraph's `src/migrate.ts` applies its migrations and exits, serving nothing: the entry
// point of the Kubernetes migration Jobs (deploy/kubernetes), which run its compiled dist/migrate.js.
// It is run here from source through tsx; test/production-build.test.ts runs the compiled one.

const run = promisify(execFile);
const serverUrl = inject('postgresServerUrl');
// Every subgraph of the service manifest: each has its migrate entry point (the scaffold writes one).
const subgraphs = repositoryManifest().subgraphs.map((subgraph) => subgraph.name);
const databaseNames: string[] = [];
const dataDirs: string[] = [];

afterAll(async () => {
  await Promise.all(databaseNames.map((name) => dropDatabase(serverUrl, name)));
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Runs `subgraphs/<name>/src/migrate.ts` through tsx, in production mode as the Job does; never rejects. */
async function migrate(subgraph: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  const script = join(repositoryRoot, 'subgraphs', subgraph, 'src', 'migrate.ts');
  const environment = { PATH: process.env.PATH, NODE_ENV: 'production', LOG_FORMAT: 'json', ...env };
  return run(process.execPath, ['--conditions=@greencart/source', '--import', 'tsx', script], { cwd: repositoryRoot, env: environment, timeout: 20_000 }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? '' }),
  );
}

async function appliedMigrations(name: string): Promise<number> {
  const sql = postgres(databaseUrl(serverUrl, name), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<Array<{ count: number }>>`select count(*)::int as count from drizzle.__drizzle_migrations`;
    return row!.count;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const committedMigrations = async (subgraph: string) =>
  (JSON.parse(await readFile(join(repositoryRoot, 'subgraphs', subgraph, 'migrations', 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

// The subgraphs' tests run at the same time: each has a database and data folder of its own, and
// most of each is a process starting and waiting on PostgreSQL.
describe.concurrent.each(subgraphs)('%s migrate entry point (src/migrate.ts)', (subgraph) => {
  it('creates the database, applies every committed migration, exits 0, and again changes nothing', async () => {
    const name = `test_${randomBytes(5).toString('hex')}_migrate_${subgraph}`;
    databaseNames.push(name);
    const dataDir = await mkdtemp(join(tmpdir(), 'greencart-migrate-'));
    dataDirs.push(dataDir);
    // No secret is given: migrating needs none, and must not generate any into the data folder.
    const env = { DATABASE_URL: serverUrl, [`${environmentNameOf(subgraph)}_DATABASE_NAME`]: name, GREENCART_DATA_DIR: dataDir };

    const first = await migrate(subgraph, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('"message":"migrations applied"');
    expect(await appliedMigrations(name)).toBe(await committedMigrations(subgraph));

    const second = await migrate(subgraph, env);
    expect(second.code, second.stderr).toBe(0);
    expect(await appliedMigrations(name)).toBe(await committedMigrations(subgraph));
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('exits 1 with one readable line when DATABASE_URL is missing', async () => {
    const result = await migrate(subgraph, {});
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${subgraph} migrations failed to start: DATABASE_URL is not set (see docs/operations.md).\n`);
  });
});
