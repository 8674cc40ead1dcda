// Cached reads (target `cache`, issue #28): Q2 and Q4, the public reads, through four gateways
// over the same subgraph processes, one after another: (c) without and with its cache of public
// answers, (d) Hive Gateway without and with its response cache (TTL 10 s). Each read runs as
// reads.ts runs it (BENCH_RUNS runs at full speed, then half of that peak evenly spaced) while a
// freshness probe changes prices in the products database beside it: it reads a product (so
// that a cache holds it), changes its price by a cent, and reads it again through the gateway
// 250 ms after the commit, the contract's bound, counting every answer that still shows the old
// price. The probe changes two prices a second on every gateway, cached or not, so that the four
// carry the same load; a change through SQL is what a stock-taking order or an admin elsewhere
// does, which no gateway sees pass.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type autocannon from 'autocannon';
import postgres from 'postgres';
import { databaseUrl } from '@greencart/platform';
import { BENCH_DATABASES } from '../common.js';
import { load, paced, send, settle, type LoadResult } from '../harness/load.js';
import { log } from '../harness/log.js';
import { requestFor, type Fixture } from '../harness/operations.js';
import type { BenchProcess } from '../harness/processes.js';
import type { BenchSession } from '../harness/session.js';
import { formatRps, formatShare } from '../report-figures.js';
import type { TargetSettings } from '../targets.js';
import { peakOf } from './reads.js';

/** How long after a commit the probe reads: the contract's bound on a change reaching a read. */
export const PROBE_READ_AFTER_MS = 250;
/** One probe cycle (read, change, wait, read again) starts this often: two price changes a second. */
export const PROBE_CYCLE_MS = 500;
/** Hive's response cache keeps an answer this long: the setting, and our cache's own bound for what no feed tells. */
export const HIVE_RESPONSE_CACHE_TTL_MS = 10_000;

export const CACHED_READS = ['Q2', 'Q4'] as const;
export type CachedRead = (typeof CACHED_READS)[number];
export type CachedReadsGateway = 'greencart' | 'greencart-cached' | 'hive' | 'hive-cached';
export const CACHED_READS_GATEWAYS: readonly CachedReadsGateway[] = ['greencart', 'greencart-cached', 'hive', 'hive-cached'];
/** The compared target a gateway of this scenario is: requests are made for it as for that target. */
const targetOf = (gateway: CachedReadsGateway) => (gateway.startsWith('hive') ? 'hive' : 'greencart');

export const CACHED_READS_LABELS: Record<CachedReadsGateway, string> = {
  greencart: '(c) GreenCart, no cache',
  'greencart-cached': "(c) GreenCart, its gateway's cache",
  hive: '(d) Hive Gateway, no cache',
  'hive-cached': '(d) Hive Gateway, response cache (TTL 10 s)',
};

export interface FreshnessProbe {
  /** Prices changed (one per cycle). */
  changes: number;
  /** Reads 250 ms or more after a commit, and how many of them showed the price from before it. */
  reads: number;
  stale: number;
  /** Probe reads that failed (HTTP or GraphQL error, or the product missing from the answer). */
  failed: number;
}

export interface CachedReadRun {
  gateway: CachedReadsGateway;
  operation: CachedRead;
  runs: LoadResult[];
  peak: { rps: number; p50: number; p99: number };
  halfPeakPaced: { rate: number; p50: number; p99: number; sent: number; failed: number };
  /** The probe, over the whole measurement (warm-up, runs and the half-peak run). */
  probe: FreshnessProbe;
  /** (c) with its cache: lookups by outcome over the same time, from its /metrics. */
  cacheLookups?: { hit: number; miss: number; bypass: number };
}

export interface CachedReadsResult {
  probeReadAfterMs: number;
  probeCycleMs: number;
  hiveResponseCacheTtlMs: number;
  runs: CachedReadRun[];
}

/** The product and price an answer shows: Q2's node with that id, or Q4's product. */
function priceIn(body: string, operation: CachedRead, productId: string): string | undefined {
  const answer = JSON.parse(body) as { data?: { product?: { id: string; price: { amount: string } } | null; products?: { nodes: { id: string; price: { amount: string } }[] } }; errors?: unknown };
  if (answer.errors || !answer.data) return undefined;
  const product = operation === 'Q4' ? answer.data.product : answer.data.products?.nodes.find((node) => node.id === productId);
  return product?.id === productId ? product.price.amount : undefined;
}

/** The probe: until stopped, one cycle every PROBE_CYCLE_MS (or as soon as the last ends). */
function startFreshnessProbe(url: string, operation: CachedRead, fixture: Fixture, sql: postgres.Sql): { stop(): Promise<FreshnessProbe> } {
  const counts: FreshnessProbe = { changes: 0, reads: 0, stale: 0, failed: 0 };
  let stopped = false;
  const cycle = async () => {
    // The request the load sends for one category or product, so that it is cached under the same key.
    const request: autocannon.Request = requestFor('greencart', operation, fixture);
    const variables = (JSON.parse(request.body as string) as { variables: { category?: string; id?: string } }).variables;
    const before = await send(url, request);
    let productId = variables.id;
    if (operation === 'Q2') {
      const nodes = (JSON.parse(before.body) as { data?: { products?: { nodes: { id: string }[] } } }).data?.products?.nodes ?? [];
      productId = nodes[randomInt(Math.max(1, nodes.length))]?.id;
    }
    if (!productId || before.status !== 200) {
      counts.failed++;
      return;
    }
    // Up or down a cent, whichever keeps it a price; the answer shows it as a decimal amount.
    const [row] = await sql<{ priceCents: number }[]>`
      update products set price_cents = case when price_cents > 100 then price_cents - 1 else price_cents + 1 end
      where id = ${productId} returning price_cents as "priceCents"`;
    const committedAt = performance.now();
    counts.changes++;
    await sleep(Math.max(0, committedAt + PROBE_READ_AFTER_MS - performance.now()));
    const after = await send(url, request);
    const shown = after.status === 200 ? priceIn(after.body, operation, productId) : undefined;
    if (shown === undefined) counts.failed++;
    else {
      counts.reads++;
      if (shown !== (row!.priceCents / 100).toFixed(2)) counts.stale++;
    }
  };
  const running = (async () => {
    while (!stopped) {
      const started = performance.now();
      await cycle().catch(() => counts.failed++);
      await sleep(Math.max(0, started + PROBE_CYCLE_MS - performance.now()));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return counts;
    },
  };
}

/** Lookups of (c)'s cache by outcome so far, from its /metrics. */
async function cacheLookups(metricsUrl: string): Promise<{ hit: number; miss: number; bypass: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const count = (outcome: string) => Number(new RegExp(`^greencart_gateway_cache_lookups_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss'), bypass: count('bypass') };
}

/** One read through one gateway, with the probe beside it from the warm-up to the end. */
async function measureCachedRead(session: BenchSession, gateway: CachedReadsGateway, front: BenchProcess, operation: CachedRead, sql: postgres.Sql): Promise<CachedReadRun> {
  const { config, fixture } = session;
  const label = `${gateway} ${operation}`;
  const makeRequest = () => requestFor(targetOf(gateway), operation, fixture);
  const first = await send(front.url, makeRequest());
  if (first.status !== 200 || first.body.includes('"errors"') || first.body.includes('"data":null')) throw new Error(`${label}: ${first.status} ${first.body.slice(0, 500)}`);
  const lookupsBefore = front.metricsUrl && gateway === 'greencart-cached' ? await cacheLookups(front.metricsUrl) : undefined;
  const probe = startFreshnessProbe(front.url, operation, fixture, sql);
  try {
    log(`${label}: warm-up ${config.warmupSeconds} s, the probe running`);
    await load(front.url, makeRequest, { seconds: config.warmupSeconds, connections: config.connections });
    await settle();
    const { runs, peak } = await peakOf(front.url, makeRequest, label, config);
    const rate = Math.max(1, Math.floor(peak.rps / 2));
    const halfPeakPaced = { rate, ...(await paced(front.url, makeRequest, { rate, seconds: config.durationSeconds })) };
    log(`${label}: at half of peak (${rate} req/s, evenly spaced): p50 ${halfPeakPaced.p50} ms, p99 ${halfPeakPaced.p99} ms, failed ${halfPeakPaced.failed}`);
    const counts = await probe.stop();
    log(`${label}: freshness probe: ${counts.changes} prices changed, ${counts.reads} reads ${PROBE_READ_AFTER_MS} ms after the commit, ${counts.stale} stale, ${counts.failed} failed`);
    const lookupsAfter = lookupsBefore && front.metricsUrl ? await cacheLookups(front.metricsUrl) : undefined;
    const cacheLookupsDuring =
      lookupsBefore && lookupsAfter ? { hit: lookupsAfter.hit - lookupsBefore.hit, miss: lookupsAfter.miss - lookupsBefore.miss, bypass: lookupsAfter.bypass - lookupsBefore.bypass } : undefined;
    if (cacheLookupsDuring) log(`${label}: cache lookups: ${JSON.stringify(cacheLookupsDuring)}`);
    return { gateway, operation, runs, peak, halfPeakPaced, probe: counts, cacheLookups: cacheLookupsDuring };
  } finally {
    await probe.stop();
  }
}

/** The four gateways in turn, each over the session's subgraph processes, Q2 then Q4 through each. */
export async function runCachedReads(session: BenchSession): Promise<CachedReadsResult> {
  // Subgraph processes started here warm up twice as long behind the first gateway (as reads.ts
  // does), so that the gateways measured later do not find them warmer than the first did.
  let freshSubgraphs = !session.subgraphs;
  const behind = await session.ensureSubgraphs();
  const subgraphUrls = session.subgraphUrlsOf(behind);
  const sql = postgres(databaseUrl(session.serverUrl, BENCH_DATABASES.products), { max: 1, onnotice: () => {} });
  const result: CachedReadsResult = { probeReadAfterMs: PROBE_READ_AFTER_MS, probeCycleMs: PROBE_CYCLE_MS, hiveResponseCacheTtlMs: HIVE_RESPONSE_CACHE_TTL_MS, runs: [] };
  try {
    for (const gateway of CACHED_READS_GATEWAYS) {
      const hive = targetOf(gateway) === 'hive';
      const cached = gateway.endsWith('-cached');
      const common = { serviceKeys: session.serviceKeys, subgraphUrls, workers: session.config.gatewayWorkers };
      const settings: TargetSettings = hive
        ? { ...common, role: 'hive', port: session.gatewayPorts.hive, hiveResponseCacheTtlMs: cached ? HIVE_RESPONSE_CACHE_TTL_MS : undefined }
        : { ...common, role: 'greencart', port: session.gatewayPorts.greencart, gatewayCache: cached };
      log(`cached reads: starting ${CACHED_READS_LABELS[gateway]}`);
      const front = await session.started(settings);
      try {
        const reads = CACHED_READS.filter((read) => session.config.reads.includes(read));
        // A gateway process just started: both reads warm it up (its JIT, its plan caches) before
        // either is measured, twice as long behind subgraphs just started too.
        const warmupSeconds = session.config.warmupSeconds * (freshSubgraphs ? 2 : 1);
        for (const operation of reads) {
          log(`${gateway} ${operation}: gateway warm-up ${warmupSeconds} s`);
          await load(front.url, () => requestFor(targetOf(gateway), operation, session.fixture), { seconds: warmupSeconds, connections: session.config.connections });
        }
        await settle();
        for (const operation of reads) result.runs.push(await measureCachedRead(session, gateway, front, operation, sql));
        freshSubgraphs = false;
      } finally {
        await session.stop(front);
      }
    }
  } finally {
    await sql.end();
  }
  log(cachedReadsMarkdown(result));
  return result;
}

/** A run's peak, the run for (gateway, read), if measured. */
const runOf = (result: CachedReadsResult, gateway: CachedReadsGateway, operation: CachedRead) => result.runs.find((run) => run.gateway === gateway && run.operation === operation);

/** The table the bench prints and writes to <name>-cache.md: every gateway's figures, and (c) over (d) like for like. */
export function cachedReadsMarkdown(result: CachedReadsResult): string {
  const lines = [
    `Freshness probe: a price changed every ${result.probeCycleMs} ms, read ${result.probeReadAfterMs} ms after its commit; stale = the old price shown.`,
    '',
    '| Read | Gateway | RPS (median) | p50 / p99 at peak (ms) | p50 / p99 at half of peak, evenly spaced (ms) | Cache hits | Prices changed | Probe reads | Stale reads |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const run of result.runs) {
    const lookups = run.cacheLookups;
    const hits = lookups ? formatShare(lookups.hit / Math.max(1, lookups.hit + lookups.miss + lookups.bypass)) : '–';
    lines.push(
      `| ${run.operation} | ${CACHED_READS_LABELS[run.gateway]} | ${formatRps(run.peak.rps)} | ${run.peak.p50} / ${run.peak.p99} | ${run.halfPeakPaced.p50} / ${run.halfPeakPaced.p99} | ${hits} | ${run.probe.changes} | ${run.probe.reads} | ${run.probe.stale} |`,
    );
  }
  lines.push('', '| Read | (c) / (d), no cache | (c) cached / (d) cached |', '|---|---|---|');
  for (const operation of CACHED_READS) {
    const ratio = (ours: CachedReadsGateway, theirs: CachedReadsGateway) => {
      const [a, b] = [runOf(result, ours, operation), runOf(result, theirs, operation)];
      return a && b ? formatShare(a.peak.rps / b.peak.rps) : '–';
    };
    if (result.runs.some((run) => run.operation === operation)) lines.push(`| ${operation} | ${ratio('greencart', 'hive')} | ${ratio('greencart-cached', 'hive-cached')} |`);
  }
  return lines.join('\n');
}
