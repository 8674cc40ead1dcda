import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, startEmbeddedPostgres, type EmbeddedPostgresServer } from '@greencart/platform';
import { freePort } from './ports.js';

/** A PostgreSQL server of a test's own, which it may stop and start again on the same port and data. */
export interface OwnPostgres {
  readonly url: string;
  stop(): Promise<void>;
  /** Starts it again after stop(), with the data it had. */
  start(): Promise<void>;
  /** Stops it (if running) and removes its data. */
  remove(): Promise<void>;
}

/** Starts an embedded PostgreSQL in a temporary folder on a free port (the run's own server cannot be stopped by one test). */
export async function startOwnPostgres(name: string): Promise<OwnPostgres> {
  const folder = await mkdtemp(join(tmpdir(), `greencart-${name}-`));
  await chmod(folder, 0o755);
  const port = await freePort();
  const start = () => startEmbeddedPostgres({ dataDir: join(folder, 'postgres'), port, logger: createLogger('test-postgres', 'warn') });
  let server: EmbeddedPostgresServer | undefined = await start();
  const url = server.url;
  return {
    url,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await start();
    },
    async remove() {
      await server?.stop();
      server = undefined;
      await rm(folder, { recursive: true, force: true });
    },
  };
}
