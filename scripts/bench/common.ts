// Shared pieces of the benchmark (`npm run bench`): the database names, a free port, the
// bench's own embedded PostgreSQL in a temporary folder, a sink for traces.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, startEmbeddedPostgres } from '@greencart/platform';

/** The benchmark's own databases, never the development ones. */
export const BENCH_DATABASES = { accounts: 'bench_accounts', orders: 'bench_orders', products: 'bench_products' } as const;
export type DatabaseName = keyof typeof BENCH_DATABASES;

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
