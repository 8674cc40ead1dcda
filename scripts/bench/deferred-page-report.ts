// Q5's results as the bench writes them and as BENCHMARKS.md shows them (scenarios/deferred-page.ts measures
// them). No imports: `npm run bench:tables` renders these tables without loading the services.

/** What the page's deferred parts wait on: each of orders' answers held this long. */
export const Q5_ORDERS_DELAY_MS = 50;

export interface DeferredPageRun {
  pages: number;
  pagesPerSecond: number;
  incomplete: number;
  first: { p50: number; p99: number };
  last: { p50: number; p99: number };
}

export interface DeferredPageResult {
  ordersDelayMs: number;
  connections: number;
  seconds: number;
  /** Runs of each variant, interleaved. */
  deferred: DeferredPageRun[];
  whole: DeferredPageRun[];
}

/** The run whose pages/s is the median of its variant's runs. */
const medianRun = (runs: DeferredPageRun[]) => [...runs].sort((a, b) => a.pagesPerSecond - b.pagesPerSecond)[Math.floor(runs.length / 2)]!;

/** Q5's figures as markdown: the median run of each variant, every run's first-part p50 in brackets. */
export function deferredPageMarkdown(q5: DeferredPageResult): string {
  const row = (label: string, runs: DeferredPageRun[]) => {
    const median = medianRun(runs);
    return `| ${label} | ${median.pagesPerSecond} (${runs.map((run) => run.pagesPerSecond).join(', ')}) | ${median.first.p50} / ${median.first.p99} (${runs.map((run) => run.first.p50).join(', ')}) | ${median.last.p50} / ${median.last.p99} | ${runs.reduce((sum, run) => sum + run.incomplete, 0)} of ${runs.reduce((sum, run) => sum + run.pages, 0)} |`;
  };
  return [
    `Q5: the contract's ProductPage through (c), ${q5.connections} clients back to back for ${q5.seconds} s a run, orders answering every call ${q5.ordersDelayMs} ms late (its part is \`boughtTogether\`). Runs of the two variants interleaved; the median run by pages/s (each run in brackets).`,
    '',
    '| Q5 (c) | Pages/s | First part p50 / p99 (ms) | Last part p50 / p99 (ms) | Incomplete answers |',
    '|---|---:|---:|---:|---:|',
    row('with `@defer` (multipart)', q5.deferred),
    row('without (one JSON answer)', q5.whole),
  ].join('\n');
}
