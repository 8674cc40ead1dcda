// One run of the bench from start to end: the services built, its own PostgreSQL seeded, the
// customers' tokens, the service keys and the gateways' ports, and every process it starts, so
// that close() stops whatever is left whichever scenario failed. Scenarios start what they
// measure through it: the subgraph processes (once, shared by every gateway), and gateways.
import { exportPKCS8, generateKeyPair } from 'jose';
import { buildUserTokenKeySet, createUserTokenIssuer, type UserTokenIssuer } from '@greencart/platform';
import { readProductsEnvironment } from '@greencart/products';
import { freePort, startBenchPostgres, startSpanSink, TOKEN_SETTINGS } from '../common.js';
import type { BenchConfig } from '../config.js';
import { seedBenchmark } from '../seed.js';
import type { BenchServiceKeys, SubgraphName, TargetSettings } from '../targets.js';
import { log } from './log.js';
import type { Fixture } from './operations.js';
import { buildTargets, newServiceKeys, startProcess, startSubgraphProcesses, type BenchProcess } from './processes.js';

export interface BenchSession {
  config: BenchConfig;
  /** The bench's PostgreSQL server (postgres://…, no database). */
  serverUrl: string;
  fixture: Fixture;
  /** Issues tokens with accounts' signing key, as accounts would. */
  issuer: UserTokenIssuer;
  /** Accounts' signing key (PKCS#8 PEM), for the processes that verify tokens locally (the monolith). */
  privateKeyPem: string;
  serviceKeys: BenchServiceKeys;
  /** (c)'s port (the subgraphs' public URLs point there) and (d)'s. */
  gatewayPorts: { greencart: number; hive: number };
  /** Products' resize limit as production reads it (IMAGE_RESIZE_CONCURRENCY, its default unset): the bench's products process runs with it and I1 reports it. */
  imageResizeConcurrency: number;
  /** The subgraph processes, once a scenario has started them. */
  readonly subgraphs: Record<SubgraphName, BenchProcess> | undefined;
  /** The subgraph processes, started on first use. */
  ensureSubgraphs(): Promise<Record<SubgraphName, BenchProcess>>;
  /** A process of targets.ts, stopped by close() unless stopped before. */
  started(settings: TargetSettings, nodeOptions?: string[]): Promise<BenchProcess>;
  stop(child: BenchProcess): Promise<void>;
  subgraphUrlsOf(behind: Record<SubgraphName, BenchProcess>): Record<SubgraphName, string>;
  /** A fresh (c) gateway over the running subgraphs, for M2, S1, Q5, the storefront's pages, I1 and the soak. */
  ourGateway(
    behind: Record<SubgraphName, BenchProcess>,
    port: number,
    workers: number,
    subgraphUrls?: Record<SubgraphName, string>,
    browserApp?: { corsOrigins: string[]; safelist: boolean },
  ): TargetSettings;
  /** With BENCH_TRACING: what the span sink received. */
  tracesReceived(): { exports: number; bytes: number } | undefined;
  close(): Promise<void>;
}

/** Builds the services, starts the bench's PostgreSQL (and span sink), seeds it and makes the tokens and keys. */
export async function startSession(config: BenchConfig): Promise<BenchSession> {
  buildTargets();
  const database = await startBenchPostgres();
  // Every target process inherits the endpoint; only GreenCart's start tracing with it.
  const spanSink = config.tracing ? await startSpanSink() : undefined;
  if (spanSink) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = spanSink.url;
  const running: BenchProcess[] = [];
  const close = async () => {
    for (const part of running) await part.stop();
    await spanSink?.stop();
    await database.stop();
  };
  try {
    const data = await seedBenchmark(database.url, log);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateKeyPem = await exportPKCS8(privateKey);
    const keySet = await buildUserTokenKeySet({ privateKeyPem });
    const issuer = await createUserTokenIssuer({ ...TOKEN_SETTINGS, signingKey: keySet.signingKey, ttlSeconds: 6 * 3600 });
    const tokens = new Map(await Promise.all(data.customerIds.map(async (id) => [id, await issuer.issue({ id, role: 'CUSTOMER' })] as const)));
    const fixture: Fixture = { data, tokens, hotProductIds: data.productIds.slice(0, 10) };
    const serviceKeys = await newServiceKeys();
    const gatewayPorts = { greencart: await freePort(), hive: await freePort() };
    const imageResizeConcurrency = readProductsEnvironment().IMAGE_RESIZE_CONCURRENCY;
    let subgraphs: Record<SubgraphName, BenchProcess> | undefined;
    const subgraphUrlsOf = (behind: Record<SubgraphName, BenchProcess>) => Object.fromEntries(Object.entries(behind).map(([name, part]) => [name, part.url])) as Record<SubgraphName, string>;
    return {
      config,
      serverUrl: database.url,
      fixture,
      issuer,
      privateKeyPem,
      serviceKeys,
      gatewayPorts,
      imageResizeConcurrency,
      get subgraphs() {
        return subgraphs;
      },
      async ensureSubgraphs() {
        if (!subgraphs) {
          subgraphs = await startSubgraphProcesses(database.url, privateKeyPem, serviceKeys, `http://127.0.0.1:${gatewayPorts.greencart}`, imageResizeConcurrency);
          running.push(...Object.values(subgraphs));
        }
        return subgraphs;
      },
      // Every process started is in `running` until stopped, so a failure stops what is left.
      async started(settings, nodeOptions) {
        const child = await startProcess(settings, nodeOptions);
        running.push(child);
        return child;
      },
      async stop(child) {
        await child.stop();
        running.splice(running.indexOf(child), 1);
      },
      subgraphUrlsOf,
      ourGateway: (behind, port, workers, subgraphUrls = subgraphUrlsOf(behind), browserApp) => ({
        role: 'greencart',
        serviceKeys,
        subgraphUrls,
        port,
        workers,
        gatewayCache: config.gatewayCache,
        ...browserApp,
      }),
      tracesReceived: () => spanSink?.received(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
