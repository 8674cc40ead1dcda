// `npm run bench` (issue #8): seeds the benchmark data set on an embedded PostgreSQL of its own,
// starts each target in its own process, and drives it with autocannon. This file reads the
// settings (config.ts, BENCH_*) and runs what BENCH_TARGETS selects, in this order:
//   limit, monolith, greencart, hive  the compared targets, in the order named: Q1–Q4 and M1 each
//                                     (scenarios/compared-targets.ts, reads.ts, place-order.ts)
//   cache          Q2 and Q4 through (c) and (d), each with and without its cache, beside a
//                  freshness probe                      (scenarios/cached-reads.ts), opt-in
//   orders         M2, one hot product against many      (scenarios/hot-product.ts)
//   subscriptions  S1, live updates                      (scenarios/live-updates.ts)
//   deferred       Q5, a product page with @defer        (scenarios/deferred-page.ts)
//   pages          the storefront's pages in Chromium    (scenarios/storefront-pages.ts), opt-in
//   images         I1, product images                    (scenarios/product-images.ts), opt-in
//   soak           30 minutes at half of peak            (scenarios/soak.ts), opt-in
// The scenarios after the compared targets each run on fresh gateways of their own over the same
// subgraph processes. `pages` runs before `images`, so the catalogue it loads has no pictures
// whether or not I1 ran; both are opt-in: each takes longer than the ~90 s a default run can spare
// (BENCHMARKS.md's introduction), and so are the cached reads and the soak (BENCH_TARGETS=soak npm run bench;
// BENCH_SOAK_MINUTES, 30 by default).
// The harness (harness/): the run's session (services built, PostgreSQL seeded, tokens, every
// process started, session.ts), the processes and their counters (processes.ts, over targets.ts's
// IPC), the operations (operations.ts) and the load generator (load.ts). The services run as
// production runs them, compiled: the bench builds them first (tsc -b), with its own process
// harness (targets.ts) beside them in scripts/bench/dist/. Only (b), whose monolith runs the
// subgraphs' resolvers in one process, runs its TypeScript through tsx. The bench reaches the
// services only through what their workspaces export (@greencart/*).
// Results: printed, and written to scripts/bench/results/ (report.ts).
// BENCH_TRACING=1: GreenCart's processes export traces (OTLP over HTTP) to a sink in this process
// that reads and drops them, so that a run shows what tracing costs.
import { pathToFileURL } from 'node:url';
import { subgraphsTheBenchLacks } from './common.js';
import { OWN_GATEWAY_TARGETS, readBenchConfig, runsOnItsOwnGateway } from './config.js';
import { log } from './harness/log.js';
import { startSession } from './harness/session.js';
import { newReport, TARGET_LABELS, writeResults } from './report.js';
import { runCachedReads } from './scenarios/cached-reads.js';
import { runComparedTarget } from './scenarios/compared-targets.js';
import { runDeferredPage } from './scenarios/deferred-page.js';
import { runHotProduct } from './scenarios/hot-product.js';
import { runLiveUpdates } from './scenarios/live-updates.js';
import { runProductImages } from './scenarios/product-images.js';
import { runSoak } from './scenarios/soak.js';
import { runStorefrontPages } from './scenarios/storefront-pages.js';
import type { TargetStats } from './targets.js';

// What this module lent before the bench was split (tables.ts reads BenchReport from here).
export { markdownTable, TARGET_LABELS, type BenchReport } from './report.js';
export { cachedReadsMarkdown, type CachedReadsResult } from './scenarios/cached-reads.js';
export { hotProductMarkdown, type HotProductCaseResult, type HotProductResult, type HotProductRun, type LockWaits, type StockServiceRun } from './scenarios/hot-product.js';
export { liveUpdatesMarkdown, type LiveUpdatesResult } from './scenarios/live-updates.js';
export type { PlaceOrderResult } from './scenarios/place-order.js';
export type { OperationResult } from './scenarios/reads.js';

async function main(): Promise<void> {
  const startedAt = new Date();
  const config = readBenchConfig();
  log(`config: ${JSON.stringify(config)}`);
  for (const name of config.targets)
    if (!runsOnItsOwnGateway(name) && !(name in TARGET_LABELS)) throw new Error(`unknown target ${name} (${[...Object.keys(TARGET_LABELS), ...OWN_GATEWAY_TARGETS].join(', ')})`);
  const lacking = subgraphsTheBenchLacks();
  if (lacking.length > 0)
    throw new Error(
      `supergraph.yaml names ${lacking.join(', ')}, which the bench does not start: add ${lacking.length === 1 ? 'it' : 'them'} to scripts/bench (BENCH_DATABASES, targets.ts, monolith.ts, seed.ts)`,
    );
  const session = await startSession(config);
  try {
    const report = newReport(startedAt, config);
    // The cached reads, M2, S1, Q5, the pages, I1 and the soak run last, each on gateways of its own (below).
    for (const name of config.targets) if (!runsOnItsOwnGateway(name)) await runComparedTarget(session, name, report);
    if (config.targets.includes('cache')) report.cachedReads = await runCachedReads(session);
    if (config.targets.includes('orders')) report.hotProduct = await runHotProduct(session);
    if (config.targets.includes('subscriptions')) report.liveUpdates = await runLiveUpdates(session);
    if (config.targets.includes('deferred')) report.deferredPage = await runDeferredPage(session);
    if (config.targets.includes('pages')) report.storefrontPages = await runStorefrontPages(session);
    if (config.targets.includes('images')) report.productImages = await runProductImages(session);
    if (config.targets.includes('soak')) report.soak = await runSoak(session);
    if (session.subgraphs) {
      const rss = await Promise.all(Object.values(session.subgraphs).map((part) => part.request<TargetStats>({ type: 'stats' })));
      report.peakRssBytes.subgraphs = rss.reduce((sum, stats) => sum + stats.maxRssBytes, 0);
    }
    await writeResults(report);
    const traces = session.tracesReceived();
    if (traces) log(`tracing: ${traces.exports} OTLP exports received (${(traces.bytes / 2 ** 20).toFixed(1)} MiB of spans)`);
    log(`done in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s; results in scripts/bench/results/`);
  } finally {
    await session.close();
  }
}

// Run as a script (npm run bench); imported, it only lends its report helpers.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
