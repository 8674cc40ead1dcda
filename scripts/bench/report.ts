// The bench's report: what a run measured (BenchReport), the comparison's markdown with the
// issue's targets met or not, and the result files, written under scripts/bench/results/:
// <name>.{json,md,svg} for the compared targets (BENCH_RESULTS_NAME, `latest` by default), and
// beside them each scenario's own: m2.*, s1.*, and <name>-cache.*, <name>-q5.*, <name>-pages.*,
// <name>-i1.*, <name>-soak.* (cache.*, q5.*, pages.*, i1.*, soak.* for `latest`). A run of scenarios alone leaves the comparison's files as they were.
// BENCHMARKS.md's tables are rendered from these files (tables.ts), with report-figures.ts's rounding.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.js';
import { DATABASE_NAMES, type RssPeaks } from './common.js';
import type { BenchConfig } from './config.js';
import { deferredPageMarkdown, type DeferredPageResult } from './deferred-page-report.js';
import { SUBGRAPHS_BEHIND, type OperationName } from './harness/operations.js';
import { formatRps, formatShare, mib, peakShare, THROUGHPUT_TARGETS } from './report-figures.js';
import { cachedReadsMarkdown, type CachedReadsResult } from './scenarios/cached-reads.js';
import { hotProductMarkdown, type HotProductResult } from './scenarios/hot-product.js';
import { liveUpdatesMarkdown, type LiveUpdatesResult } from './scenarios/live-updates.js';
import type { PlaceOrderResult } from './scenarios/place-order.js';
import { productImagesMarkdown, type ProductImagesResult } from './scenarios/product-images.js';
import type { OperationResult } from './scenarios/reads.js';
import { soakMarkdown, type SoakResult } from './scenarios/soak.js';
import { storefrontPagesMarkdown, type StorefrontPagesResult } from './scenarios/storefront-pages.js';
import { DATA_SET } from './seed.js';
import type { TargetName } from './targets.js';

export interface BenchReport {
  startedAt: string;
  config: BenchConfig;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  dataSet: typeof DATA_SET;
  operations: OperationResult[];
  /** Peak RSS of each target's own processes (a gateway's workers together), and of the subgraph processes (c) and (d) share. */
  peakRssBytes: Partial<Record<TargetName | 'subgraphs', number>>;
  /** The services' (our gateway and every subgraph) resident memory while Q1 runs through (c). */
  servicesRssUnderQ1?: RssPeaks;
  placeOrders: PlaceOrderResult[];
  /** Q2 and Q4 through (c) and (d) with and without their caches, when `cache` was among the targets. */
  cachedReads?: CachedReadsResult;
  /** M2, when `orders` was among the targets. */
  hotProduct?: HotProductResult;
  /** S1, when `subscriptions` was among the targets. */
  liveUpdates?: LiveUpdatesResult;
  /** Q5, when `deferred` was among the targets. */
  deferredPage?: DeferredPageResult;
  /** The storefront's pages, when `pages` was among the targets. */
  storefrontPages?: StorefrontPagesResult;
  /** I1, when `images` was among the targets. */
  productImages?: ProductImagesResult;
  /** The soak, when `soak` was among the targets. */
  soak?: SoakResult;
}

export const TARGET_LABELS: Record<TargetName, string> = {
  limit: '(a) limit: node:http + postgres.js',
  monolith: '(b) monolith: one @apollo/server',
  greencart: '(c) GreenCart gateway',
  hive: '(d) Hive Gateway + router-runtime',
};

export function markdownTable(report: BenchReport): string {
  const lines = [
    `| Operation | Target | RPS (median) | p50 / p99 at peak (ms) | Half of peak (req/s) | p50 / p99 at half, evenly spaced (ms) | p50 / p99 at half, autocannon overallRate (ms) | SQL statements / op (${DATABASE_NAMES.join('+')}) | Subgraph calls / op (\`_entities\`) | Peak RSS (MiB) |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const result of report.operations) {
    const s = result.statementsPerOperation;
    const calls = result.subgraphCallsPerOperation
      ? `${Object.entries(result.subgraphCallsPerOperation)
          .filter(([, count]) => count > 0)
          .map(([name, count]) => `${name} ${count}`)
          .join(', ')} (${result.entityCallsPerOperation})`
      : 'n/a';
    const rss = SUBGRAPHS_BEHIND.includes(result.target) ? `${mib(report.peakRssBytes[result.target])} + subgraphs ${mib(report.peakRssBytes.subgraphs)}` : mib(report.peakRssBytes[result.target]);
    lines.push(
      `| ${result.operation} | ${TARGET_LABELS[result.target]}${report.config.tracing && SUBGRAPHS_BEHIND.includes(result.target) ? ', tracing on' : ''} | ${formatRps(result.peak.rps)} | ${result.peak.p50} / ${result.peak.p99} | ${result.halfPeak.rate} | ${result.halfPeakPaced.p50} / ${result.halfPeakPaced.p99} | ${result.halfPeak.p50} / ${result.halfPeak.p99} | ${s.total} (${DATABASE_NAMES.map((name) => s[name]).join('+')}) | ${calls} | ${rss} |`,
    );
  }
  if (report.placeOrders.length > 0) {
    lines.push(
      '',
      '| M1 placeOrder | Sent | Placed | Refused (user errors) | GraphQL errors | non-2xx | p50 / p99 (ms) | SQL statements / request | Oversold? |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const m1 of report.placeOrders) {
      lines.push(
        `| ${TARGET_LABELS[m1.target]} | ${m1.load.sent} | ${m1.placed} | ${m1.outOfStockOrOtherUserErrors} | ${m1.load.graphqlErrors} | ${m1.load.non2xx} | ${m1.load.p50} / ${m1.load.p99} | ${m1.statementsPerOperation.total} | ${m1.stockCheck.oversold ? '**yes**' : 'no'} |`,
      );
    }
  }
  if (report.hotProduct) lines.push('', hotProductMarkdown(report.hotProduct));
  lines.push('', ...targetsMet(report));
  if (report.liveUpdates) lines.push('', liveUpdatesMarkdown(report.liveUpdates));
  return lines.join('\n');
}

/** The issue's targets, met or not, from this run's numbers. */
function targetsMet(report: BenchReport): string[] {
  const result = (operation: OperationName, target: TargetName) => report.operations.find((candidate) => candidate.operation === operation && candidate.target === target);
  const ours = result('Q1', 'greencart');
  const lines = ['| Target | Result |', '|---|---|'];
  for (const { label, operation, other, fraction } of THROUGHPUT_TARGETS) {
    const mine = result(operation, 'greencart');
    const theirs = result(operation, other);
    if (!mine || !theirs) {
      lines.push(`| ${label} | not measured in this run |`);
      continue;
    }
    const share = peakShare(mine, theirs);
    lines.push(`| ${label} | ${share >= fraction ? '**met**' : '**not met**'}: ${formatRps(mine.peak.rps)} / ${formatRps(theirs.peak.rps)} = ${formatShare(share)} |`);
  }
  if (ours?.statementsByLineCount) {
    const counts = Object.entries(ours.statementsByLineCount);
    const worst = Math.max(...counts.map(([, count]) => count));
    lines.push(`| Q1 at most 4 SQL statements whatever the line count | ${worst <= 4 ? '**met**' : '**not met**'}: ${counts.map(([lines, count]) => `${count} at ${lines} lines`).join(', ')} |`);
  }
  const p99s = report.operations
    .filter((result) => result.target === 'greencart')
    .map((result) => `${result.operation} ${result.halfPeakPaced.p99 < 50 ? '**met**' : '**not met**'} (${result.halfPeakPaced.p99} ms)`);
  if (p99s.length > 0) lines.push(`| p99 at half of peak under 50 ms (GreenCart, evenly spaced) | ${p99s.join('; ')} |`);
  const rss = report.servicesRssUnderQ1;
  // The issue's budget was set for four services (gateway, three subgraphs); reviews now counts in it too.
  lines.push(
    `| The ${rss ? `${Object.keys(rss.peakBytes).length} ` : ''}services' peak RSS together under Q1 at most 700 MiB | ${rss ? `${rss.sumOfPeaksBytes <= 700 * 2 ** 20 ? '**met**' : '**not met**'}: ${servicesRssLine(rss)}` : 'not measured in this run'} |`,
  );
  for (const m1 of report.placeOrders)
    lines.push(
      `| M1 ${TARGET_LABELS[m1.target]}: no stock oversold | ${m1.stockCheck.oversold ? '**not met**' : '**met**'}: ${m1.placed} orders, ${m1.stockCheck.unitsTaken} units taken = ${m1.stockCheck.unitsInPlacedOrders} in placed orders |`,
    );
  return lines;
}

/** The services' peak RSS together, then each one's. */
export const servicesRssLine = (rss: RssPeaks) =>
  `the ${Object.keys(rss.peakBytes).length} services' peak RSS together ${mib(rss.sumOfPeaksBytes)} MiB (${Object.entries(rss.peakBytes)
    .map(([name, bytes]) => `${name} ${mib(bytes)}`)
    .join(', ')}; at most ${mib(rss.peakOfSumBytes)} MiB at one moment)`;

/** An empty report of a run that starts now. */
export function newReport(startedAt: Date, config: BenchConfig): BenchReport {
  return {
    startedAt: startedAt.toISOString(),
    config,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    dataSet: DATA_SET,
    operations: [],
    peakRssBytes: {},
    placeOrders: [],
  };
}

/** Writes the run's result files (the comparison's, then each scenario's) and prints their markdown. */
export async function writeResults(report: BenchReport): Promise<void> {
  const { config } = report;
  const folder = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(folder, { recursive: true });
  // A run of M2 or S1 alone leaves the comparison's result files as they were.
  if (report.operations.length > 0 || report.placeOrders.length > 0) {
    const table = markdownTable(report);
    await writeFile(`${folder}${config.resultsName}.json`, `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(`${folder}${config.resultsName}.md`, `${table}\n`);
    await writeFile(`${folder}${config.resultsName}.svg`, renderChart(report));
    process.stdout.write(`${table}\n`);
  }
  /** A scenario's own files: its result beside the run's start, settings and machine, and its markdown (printed too when no target was compared). */
  const writeScenario = async (file: string, result: Partial<BenchReport>, markdown: string) => {
    await writeFile(`${folder}${file}.json`, `${JSON.stringify({ startedAt: report.startedAt, config, machine: report.machine, ...result }, null, 2)}\n`);
    await writeFile(`${folder}${file}.md`, `${markdown}\n`);
    if (report.operations.length === 0) process.stdout.write(`${markdown}\n`);
  };
  // <scenario>.* for a run without a name; <name>-<scenario>.* beside a named run's files, for BENCHMARKS.md to cite.
  const named = (scenario: string) => (config.resultsName === 'latest' ? scenario : `${config.resultsName}-${scenario}`);
  if (report.cachedReads) await writeScenario(named('cache'), { cachedReads: report.cachedReads }, cachedReadsMarkdown(report.cachedReads));
  if (report.hotProduct) await writeScenario('m2', { hotProduct: report.hotProduct }, hotProductMarkdown(report.hotProduct));
  if (report.deferredPage) await writeScenario(named('q5'), { deferredPage: report.deferredPage }, deferredPageMarkdown(report.deferredPage));
  if (report.storefrontPages) await writeScenario(named('pages'), { storefrontPages: report.storefrontPages }, storefrontPagesMarkdown(report.storefrontPages));
  if (report.productImages) await writeScenario(named('i1'), { productImages: report.productImages }, productImagesMarkdown(report.productImages));
  if (report.soak) await writeScenario(named('soak'), { soak: report.soak }, soakMarkdown(report.soak));
  if (report.liveUpdates) await writeScenario('s1', { liveUpdates: report.liveUpdates }, liveUpdatesMarkdown(report.liveUpdates));
}
