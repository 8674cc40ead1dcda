// How the bench's report turns a run's numbers into printed figures. report.ts writes its results
// `.md` with these, and tables.ts renders BENCHMARKS.md's tables with them, so a figure on the page
// is rounded and compared exactly as the run's own summary did it. No imports: the page's test
// loads this without the bench's processes, databases or load generator.

/** A read's result as far as these figures need it (scenarios/reads.ts's OperationResult). */
export interface PeakResult {
  target: string;
  operation: string;
  /** Medians of the runs at full speed. */
  peak: { rps: number; p50: number; p99: number };
}

/** The throughput targets: (c)'s median req/s as a share of `other`'s, met at `fraction`. */
export const THROUGHPUT_TARGETS = [
  { label: 'Q1 through our gateway ≥ (d) Hive Gateway', operation: 'Q1', other: 'hive', fraction: 1 },
  { label: 'Q4 (product page with boughtTogether) through our gateway ≥ (d) Hive Gateway', operation: 'Q4', other: 'hive', fraction: 1 },
  { label: 'Q1 through our gateway ≥ 50% of (b) monolith', operation: 'Q1', other: 'monolith', fraction: 0.5 },
  { label: 'Q1 through our gateway ≥ 25% of (a) limit', operation: 'Q1', other: 'limit', fraction: 0.25 },
] as const;

/** A median req/s as the report prints it: whole requests. */
export const formatRps = (rps: number): string => rps.toFixed(0);

/** `mine`'s median req/s as a share of `theirs`' (1.05 = 105%), from the unrounded medians. */
export const peakShare = (mine: PeakResult, theirs: PeakResult): number => mine.peak.rps / theirs.peak.rps;

/** A share as the report prints it: a whole percentage. */
export const formatShare = (share: number): string => `${(share * 100).toFixed(0)}%`;

/** Bytes as whole MiB ('?' when not measured). */
export const mib = (bytes: number | undefined): string => (bytes ? (bytes / 2 ** 20).toFixed(0) : '?');

/** Bytes as KiB with one decimal, as S1's report prints memory per subscription. */
export const kib = (bytes: number): string => (bytes / 1024).toFixed(1);

/** A count with thousands separators, as the M2 report prints stock (10,000,000). */
export const formatCount = (count: number): string => Math.round(count).toLocaleString('en');

/** A figure rounded to a whole number, as the report prints req/s and the runs' seconds. */
export const formatWhole = (value: number): string => value.toFixed(0);
