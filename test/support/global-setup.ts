import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
// By path: Vitest loads the global setup without the @greencart/source condition its tests resolve with.
import { createLogger, dropDatabase, startEmbeddedPostgres } from '../../platform/src/index.js';
import { freePort } from './ports.js';
import { templateDatabasesOf } from './template-databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL; each test file creates its own databases on it. */
    postgresServerUrl: string;
    /** Names this run's template databases (test/support/supergraph.ts), apart from another run's on the same server. */
    harnessRunId: string;
  }
}

/**
 * One PostgreSQL server for the whole run: the server given in DATABASE_URL, or an embedded one
 * in a temporary folder, removed afterwards.
 */
export default async function setup(project: TestProject) {
  const runId = randomBytes(4).toString('hex');
  project.provide('harnessRunId', runId);
  if (process.env.DATABASE_URL) {
    const serverUrl = process.env.DATABASE_URL;
    project.provide('postgresServerUrl', serverUrl);
    // The templates stay on a server of the user's otherwise.
    return () => dropTemplates(serverUrl, runId);
  }
  const folder = await mkdtemp(join(tmpdir(), 'greencart-test-'));
  await chmod(folder, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(folder, 'postgres'), port: await freePort(), logger: createLogger('test-postgres', 'warn') });
  project.provide('postgresServerUrl', server.url);
  return async () => {
    await server.stop();
    await rm(folder, { recursive: true, force: true });
  };
}

/** Drops the template databases this run built on the server. */
async function dropTemplates(serverUrl: string, runId: string): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, fetch_types: false });
  try {
    for (const name of await templateDatabasesOf(admin, runId)) await dropDatabase(serverUrl, name);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
