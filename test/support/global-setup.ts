import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// By path: Vitest loads the global setup without the @greencart/source condition its tests resolve with.
import { createLogger, startEmbeddedPostgres } from '../../platform/src/index.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL; each test file creates its own databases on it. */
    postgresServerUrl: string;
  }
}

/**
 * One PostgreSQL server for the whole run: the server given in DATABASE_URL, or an embedded one
 * in a temporary folder, removed afterwards.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('postgresServerUrl', process.env.DATABASE_URL);
    return;
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
