// The processes the bench measures, from run.ts's side: built (tsc -b), started one by one
// (targets.ts, forked, answering over IPC), asked for their SQL statement counts and subgraph
// calls, and stopped; the subgraph processes behind (c) and (d); a gateway's own gauges from its
// /metrics; and the live subscribers' process (live-subscribers.ts).
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { callingServices, generateServiceKey, nodeFlagsOf, repositoryRoot } from '@greencart/platform';
import { DATABASE_NAMES, perDatabase, type DatabaseName } from '../common.js';
import type { LiveSubscribersSettings } from '../live-subscribers.js';
import type { BenchServiceKeys, SubgraphName, TargetName, TargetSettings, TargetStats } from '../targets.js';
import { log } from './log.js';

/** One process of targets.ts, answering run.ts over IPC. */
export interface BenchProcess {
  url: string;
  /** Its /metrics, on its metrics port (GreenCart's processes). */
  metricsUrl?: string;
  child: ChildProcess;
  request<T>(message: { type: string }): Promise<T>;
  stop(): Promise<void>;
}

/** Stops a bench process: SIGTERM, then SIGKILL if it has not exited within 5 s. */
function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

const roleOf = (settings: TargetSettings) => (settings.role === 'subgraph' ? settings.subgraph : settings.role);

/** The services (`npm run build`'s tsc projects) and targets.ts compiled into scripts/bench/dist/; tsc -b skips what is up to date. */
export function buildTargets(): void {
  log('building the services and the benchmark processes (tsc -b)');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', fileURLToPath(new URL('../tsconfig.build.json', import.meta.url))], { cwd: repositoryRoot, stdio: 'inherit' });
}

/**
 * The compiled targets.js, which imports the services' compiled modules (no tsx in the process);
 * for the monolith, targets.ts through tsx with the workspaces' TypeScript sources.
 */
const targetEntry = (settings: TargetSettings) =>
  settings.role === 'monolith'
    ? { script: fileURLToPath(new URL('../targets.ts', import.meta.url)), execArgv: ['--conditions=@greencart/source', '--import', 'tsx'] }
    : { script: fileURLToPath(new URL('../dist/targets.js', import.meta.url)), execArgv: [] };

/** The node flags a service runs with everywhere (its heap budget): the service manifest's. */
function productionNodeFlags(settings: TargetSettings): string[] {
  const service = settings.role === 'subgraph' ? settings.subgraph : settings.role === 'greencart' ? 'gateway' : undefined;
  return service ? [...nodeFlagsOf(service)] : [];
}

export async function startProcess(settings: TargetSettings, nodeOptions: string[] = []): Promise<BenchProcess> {
  const entry = targetEntry(settings);
  const child = fork(entry.script, [], {
    execArgv: [...entry.execArgv, ...productionNodeFlags(settings), ...nodeOptions],
    env: { ...process.env, NODE_ENV: 'production', BENCH_TARGET: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { url, metricsUrl } = await new Promise<{ url: string; metricsUrl?: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${roleOf(settings)} exited (${code}) before it was ready`)));
    child.on('message', (message: { type: string; url?: string; metricsUrl?: string; error?: string }) => {
      if (message.type === 'ready') resolve({ url: message.url!, metricsUrl: message.metricsUrl });
      if (message.type === 'failed') reject(new Error(`${roleOf(settings)} failed: ${message.error}`));
    });
  });
  return {
    url,
    metricsUrl,
    child,
    request: <T>(message: { type: string }) =>
      new Promise<T>((resolve) => {
        const listener = (answer: { type: string }) => {
          if (answer.type !== message.type) return;
          child.off('message', listener);
          resolve(answer as T);
        };
        child.on('message', listener);
        child.send(message);
      }),
    stop: () => stopProcess(child),
  };
}

/**
 * What one target is to the measurements: the URL clients call, and every process whose SQL
 * counts: the target's own, and for (c) and (d) the subgraph processes behind it.
 */
export interface Target {
  name: TargetName;
  url: string;
  front: BenchProcess;
  subgraphs?: Record<SubgraphName, BenchProcess>;
  /** The subgraphs behind were started for this target (no gateway has warmed them yet). */
  freshSubgraphs?: boolean;
}

const processesOf = (target: Target) => [target.front, ...Object.values(target.subgraphs ?? {})];

export async function resetCounts(target: Target): Promise<void> {
  await Promise.all(processesOf(target).map((part) => part.request({ type: 'reset' })));
}

/** SQL statements since the last reset, over every database and process of the target. */
export async function countedStatements(target: Target): Promise<Pick<TargetStats, 'statements' | 'recent'>> {
  const stats = await Promise.all(processesOf(target).map((part) => part.request<TargetStats>({ type: 'stats' })));
  const statements = perDatabase((name) => stats.reduce((sum, part) => sum + part.statements[name], 0));
  return { statements, recent: stats.flatMap((part) => part.recent) };
}

export const totalOf = (statements: Record<DatabaseName, number>) => DATABASE_NAMES.reduce((sum, name) => sum + statements[name], 0);
/** Statements per request, by database and in all, from counts over `requests` requests. */
export function statementsPer(statements: Record<DatabaseName, number>, requests: number): Record<DatabaseName, number> & { total: number } {
  const per = (value: number) => Math.round((value / Math.max(1, requests)) * 100) / 100;
  return { ...perDatabase((name) => per(statements[name])), total: per(totalOf(statements)) };
}

/**
 * Requests each subgraph has answered so far, and how many were `_entities` calls, from their
 * Prometheus counters: counted where they arrive, the same for every gateway in front.
 */
export async function subgraphRequests(target: Target): Promise<{ calls: Record<string, number>; entityCalls: number } | undefined> {
  if (!target.subgraphs) return undefined;
  const calls: Record<string, number> = {};
  let entityCalls = 0;
  for (const [name, part] of Object.entries(target.subgraphs)) {
    const text = await (await fetch(part.metricsUrl!)).text();
    calls[name] = [...text.matchAll(/^greencart_graphql_requests_total\{[^}]*\} (\d+(?:\.\d+)?)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    entityCalls += Number(/^greencart_entity_fetches_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(text)?.[1] ?? 0);
  }
  return { calls, entityCalls };
}

/** The process ids of the services behind a (c) target: its gateway and every subgraph. */
export function servicePids(target: Target): Record<string, number> {
  const pids: Record<string, number> = { gateway: target.front.child.pid! };
  for (const [name, part] of Object.entries(target.subgraphs ?? {})) pids[name] = part.child.pid!;
  return pids;
}

/** The service keys of every service that calls another (the manifest's callers), made once per run; each process takes its own from them. */
export async function newServiceKeys(): Promise<BenchServiceKeys> {
  return Object.fromEntries(await Promise.all(callingServices().map(async (service) => [service, await generateServiceKey()] as const)));
}

/**
 * The subgraph processes behind (c) and (d), started once, each after those it calls: accounts
 * first (the others fetch its keys), then products, orders (calls products), reviews (calls both).
 */
export async function startSubgraphProcesses(
  serverUrl: string,
  privateKeyPem: string,
  serviceKeys: BenchServiceKeys,
  gatewayUrl: string,
  imageResizeConcurrency: number,
): Promise<Record<SubgraphName, BenchProcess>> {
  const common = { role: 'subgraph' as const, serverUrl, serviceKeys, privateKeyPem, gatewayUrl };
  const accounts = await startProcess({ ...common, subgraph: 'accounts' });
  const products = await startProcess({ ...common, subgraph: 'products', accountsUrl: accounts.url, imageResizeConcurrency });
  const orders = await startProcess({ ...common, subgraph: 'orders', accountsUrl: accounts.url, productsUrl: products.url });
  const reviews = await startProcess({ ...common, subgraph: 'reviews', accountsUrl: accounts.url, productsUrl: products.url, ordersUrl: orders.url });
  return { accounts, products, orders, reviews };
}

export interface GatewayGauges {
  rssBytes: number;
  heapUsedBytes: number;
  productSubscriptions: number;
  /** process_cpu_seconds_total: user and system CPU the gateway process has spent so far. */
  cpuSeconds: number;
}

/** The gateway process's own figures from its /metrics: RSS, heap in use, open productUpdated subscriptions. */
export async function gatewayGauges(metricsUrl: string): Promise<GatewayGauges> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    rssBytes: value(/^process_resident_memory_bytes(?:\{[^}]*\})? (\S+)/m),
    heapUsedBytes: value(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m),
    productSubscriptions: value(/^greencart_subscriptions_active\{[^}]*field="productUpdated"[^}]*\} (\S+)/m),
    cpuSeconds: value(/^process_cpu_seconds_total(?:\{[^}]*\})? (\S+)/m),
  };
}

/** The live subscribers' process's nice value (startLiveSubscribers says why). */
const LIVE_SUBSCRIBERS_NICENESS = 10;

/** The S1 client process (live-subscribers.ts): subscribers and the stock writer, driven over IPC. */
export async function startLiveSubscribers(settings: LiveSubscribersSettings): Promise<{ request<T>(message: Record<string, unknown> & { type: string }): Promise<T>; stop(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL('../live-subscribers.ts', import.meta.url)), [], {
    execArgv: ['--conditions=@greencart/source', '--import', 'tsx'],
    env: { ...process.env, BENCH_S1: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // The subscribers stand for browsers on other machines: on this one they yield the CPU to the
  // processes measured (nice 10, still enough to keep up with every event and answer every ping).
  setPriority(child.pid!, LIVE_SUBSCRIBERS_NICENESS);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the S1 subscribers exited (${code}) before they were ready`)));
    child.once('message', () => resolve());
  });
  return {
    request: <T>(message: Record<string, unknown> & { type: string }) =>
      new Promise<T>((resolve, reject) => {
        const listener = (answer: { type: string; error?: string }) => {
          if (answer.type !== message.type && answer.type !== 'failed') return;
          child.off('message', listener);
          if (answer.type === 'failed') reject(new Error(`S1 subscribers: ${answer.error}`));
          else resolve(answer as T);
        };
        child.on('message', listener);
        child.send(message);
      }),
    stop: () => stopProcess(child),
  };
}
