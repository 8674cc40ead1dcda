// Shared pieces of the benchmark (`npm run bench`): the database names, a free port, the
// bench's own embedded PostgreSQL in a temporary folder, processes' resident memory, a sink for traces.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, repositoryManifest, startEmbeddedPostgres, type ServiceManifest } from '@greencart/platform';

/**
 * The benchmark's own databases, never the development ones: one per subgraph it starts. Listed
 * by hand, not read from the manifest: an entry says the bench seeds and starts that subgraph
 * (subgraphsTheBenchLacks checks this list against supergraph.yaml).
 */
export const BENCH_DATABASES = { accounts: 'bench_accounts', orders: 'bench_orders', products: 'bench_products', reviews: 'bench_reviews' } as const;
export type DatabaseName = keyof typeof BENCH_DATABASES;
export const DATABASE_NAMES = Object.keys(BENCH_DATABASES) as DatabaseName[];

/** A count per bench database, each from `count(name)` (zero by default). */
export const perDatabase = (count: (name: DatabaseName) => number = () => 0): Record<DatabaseName, number> =>
  Object.fromEntries(DATABASE_NAMES.map((name) => [name, count(name)])) as Record<DatabaseName, number>;

/**
 * The subgraphs of the service manifest that the bench does not start (each needs its process,
 * data and monolith resolvers here): measuring a gateway with one missing would be no measure.
 */
export function subgraphsTheBenchLacks(manifest: ServiceManifest = repositoryManifest()): string[] {
  return manifest.subgraphs.map((subgraph) => subgraph.name).filter((name) => !(name in BENCH_DATABASES));
}

/** The value at `fraction` of sorted latencies, to a tenth of a millisecond. */
export const percentile = (sorted: number[], fraction: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN) * 10) / 10;

export const TOKEN_SETTINGS = { issuer: 'greencart-accounts', audience: 'greencart' } as const;

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL for the benchmark alone: a fresh data folder under the system's temporary folder. */
export async function startBenchPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), 'greencart-bench-'));
  // As root, PostgreSQL runs as the `postgres` user, which must reach the data folder.
  await chmod(folder, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(folder, 'data'), port: await freePort(), logger: createLogger('bench-postgres', 'warn', 'json') });
  return {
    url: server.url,
    async stop() {
      await server.stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** A process and its descendants (a gateway's cluster workers), from /proc's lists of children. */
function processTree(pid: number): number[] {
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) {
    const tasks = readOr(() => readdirSync(`/proc/${tree[index]}/task`), []);
    for (const task of tasks)
      tree.push(
        ...readOr(() => readFileSync(`/proc/${tree[index]}/task/${task}/children`, 'utf8'), '')
          .split(/\s+/)
          .filter(Boolean)
          .map(Number),
      );
  }
  return tree;
}

/** A /proc read, or `fallback` when the process has exited meanwhile (its entries are gone). */
function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** A line of /proc/<pid>/status in bytes (VmRSS: resident now; VmHWM: the peak since start or the last reset). */
const statusBytes = (pid: number, field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readOr(() => readFileSync(`/proc/${pid}/status`, 'utf8'), ''))?.[1] ?? 0) * 1024;

/** A process's resident memory now, in bytes (0 without /proc or once it has exited). */
export const residentBytes = (pid: number) => statusBytes(pid, 'VmRSS');

/** A process's resident memory now with its descendants' (a gateway's cluster workers), in bytes. */
export const residentTreeBytes = (pid: number) => processTree(pid).reduce((sum, member) => sum + statusBytes(member, 'VmRSS'), 0);

/** Processes' resident memory over a phase of the benchmark. */
export interface RssPeaks {
  /** Each named process's peak (with its descendants) during the phase, in bytes. */
  peakBytes: Record<string, number>;
  /** Those peaks added up: the memory the processes need together at worst. */
  sumOfPeaksBytes: number;
  /** The largest total of one round of samples (peaks of different processes need not coincide). */
  peakOfSumBytes: number;
  samples: number;
  intervalMs: number;
  /** Whether the kernel's peak counters were reset at the start (then each peak is exact, not sampled). */
  exactPeaks: boolean;
}

/**
 * Follows the resident memory of the named processes (pid each, descendants included) from now
 * until stop(): the kernel's peak (VmHWM), reset at the start by writing 5 to clear_refs (Linux 4.0+),
 * and VmRSS sampled every `intervalMs` for the peak of their total. Undefined without /proc.
 */
export function sampleRss(processes: Record<string, number>, intervalMs = 100): { stop(): RssPeaks } | undefined {
  if (!existsSync('/proc/self/status')) return undefined;
  const trees = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, processTree(pid)]));
  const resetPeak = (pid: number) => {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  };
  const exactPeaks = Object.values(trees)
    .flat()
    .map((pid) => readOr(() => resetPeak(pid), false))
    .every(Boolean);
  const peakBytes: Record<string, number> = Object.fromEntries(Object.keys(processes).map((name) => [name, 0]));
  let peakOfSumBytes = 0;
  let samples = 0;
  const sample = () => {
    let total = 0;
    for (const [name, tree] of Object.entries(trees)) {
      const bytes = tree.reduce((sum, pid) => sum + statusBytes(pid, 'VmRSS'), 0);
      peakBytes[name] = Math.max(peakBytes[name]!, bytes);
      total += bytes;
    }
    peakOfSumBytes = Math.max(peakOfSumBytes, total);
    samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      if (exactPeaks)
        for (const [name, tree] of Object.entries(trees))
          peakBytes[name] = Math.max(
            peakBytes[name]!,
            tree.reduce((sum, pid) => sum + statusBytes(pid, 'VmHWM'), 0),
          );
      const sumOfPeaksBytes = Object.values(peakBytes).reduce((sum, bytes) => sum + bytes, 0);
      return { peakBytes, sumOfPeaksBytes, peakOfSumBytes, samples, intervalMs, exactPeaks };
    },
  };
}

/**
 * An OTLP/HTTP receiver that reads every export and drops it (BENCH_TRACING): the services pay
 * for making and sending their spans, and nothing is kept. `url` is an OTEL_EXPORTER_OTLP_ENDPOINT.
 */
export async function startSpanSink(): Promise<{ url: string; received(): { exports: number; bytes: number }; stop(): Promise<void> }> {
  let exports = 0;
  let bytes = 0;
  const server = createHttpServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      exports++;
      // An empty ExportTraceServiceResponse: `{}` in JSON, no bytes in protobuf.
      const json = (req.headers['content-type'] ?? '').includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => ({ exports, bytes }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
