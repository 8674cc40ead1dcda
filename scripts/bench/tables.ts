// `npm run bench:tables`: renders every generated table of BENCHMARKS.md from the result files the
// bench wrote (scripts/bench/results/*.json), in place, so no figure on the page is typed by hand.
// A generated table sits between two markers; the first names its file, its kind and its rows:
//
//   <!-- bench-table: gateways-2026-12-07-http-cache.json ratio Q1,Q2,Q3,Q4 -->
//   …the table, rewritten on every run…
//   <!-- /bench-table -->
//
// Rows are separated by `;` (a marker may span lines); each is `<label> [from <file>] [(<note>)]`:
// the label starts with the read it shows (`Q1`, or `Q1, alone, minutes later`), `from` takes that
// row from another result file, and a note is a human's remark printed beside the row's ratio
// (so a label holds no parentheses).
// `Q1,Q2,Q3,Q4` is short for `Q1; Q2; Q3; Q4`. Kinds:
//   ratio  (c) and (d) median req/s per read and (c) / (d), "**met**" where the bench's target is met;
//   peak   the same with each side's p99 at full speed, and M1 (placed, oversold, p99) as a row `M1`;
//   q5     Q5's table (ProductPage with and without @defer) from a <name>-q5.json, as the bench prints it; no rows;
//   md     the tables of a scenario's .md as the bench wrote it beside its .json (I1's, the pages'); no rows.
// `--check` changes nothing and fails with the first line that differs (test/benchmarks-page.test.ts does the same).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatRps, formatShare, peakShare, THROUGHPUT_TARGETS, type PeakResult } from './report-figures.js';
import { deferredPageMarkdown, type DeferredPageResult } from './deferred-page-report.js';
import type { BenchReport } from './run.js';

export const BENCHMARKS_PAGE = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));
export const RESULTS_FOLDER = fileURLToPath(new URL('./results/', import.meta.url));

/** What the tables read from a result file: a part of run.ts's BenchReport. */
export interface ResultsFile {
  /** A .md result file's text (kind md). */
  markdown?: string;
  /** Q5's file holds deferredPage and none of the others. */
  deferredPage?: DeferredPageResult;
  operations: PeakResult[];
  placeOrders: Array<{ target: string; placed: number; load: { sent: number; p99: number }; stockCheck: { oversold: boolean } }>;
}

export type TableKind = 'ratio' | 'peak' | 'q5' | 'md';
const TABLE_KINDS: readonly TableKind[] = ['ratio', 'peak', 'q5', 'md'];

export interface TableRow {
  /** Q1…Q4, or M1 (peak tables only). */
  read: string;
  /** What the row's first cell says. */
  label: string;
  /** The result file the row's figures come from. */
  file: string;
  note?: string;
}

export interface TableMarker {
  file: string;
  kind: TableKind;
  rows: TableRow[];
  /** The marker's line in the page, for messages. */
  line: number;
}

/** A marker the renderer cannot follow: named, with its line, so the page's author can find it. */
export class BenchTableError extends Error {
  override name = 'BenchTableError';
}

// Markers start a line, so the page can quote one in its prose.
const START = /^<!-- bench-table:([\s\S]*?)-->/gm;
const END = /^<!-- \/bench-table -->$/m;
const READ = /^(Q[1-4]|M1)\b/;
const ROW = /^(?<label>[^()]+?)(?:\s+from\s+(?<file>\S+\.json))?(?:\s+\((?<note>.+)\))?$/;
const BARE_READS = /^(Q[1-4]|M1)(\s*,\s*(Q[1-4]|M1))+$/;

/** The peak table's first cell for a read (as the page's earlier tables described them). */
const READ_DESCRIPTIONS: Record<string, string> = {
  Q1: "an order of 20 lines, products' price, stock, category",
  Q2: 'a page of 50 products',
  Q3: 'orders page with customer',
  Q4: 'a product page: recommendations and `boughtTogether`',
};

/** A marker's text (what follows `bench-table:`) as its file, kind and rows. */
export function parseMarker(text: string, line: number): TableMarker {
  const [file, kind, ...rest] = text.trim().split(/\s+/);
  if (!file?.endsWith(kind === 'md' ? '.md' : '.json'))
    throw new BenchTableError(`BENCHMARKS.md:${line}: a bench-table marker starts with a result file (…${kind === 'md' ? 'md' : 'json'}), not "${file ?? ''}"`);
  if (!TABLE_KINDS.includes(kind as TableKind)) throw new BenchTableError(`BENCHMARKS.md:${line}: bench-table kind "${kind ?? ''}" is not one of ${TABLE_KINDS.join(', ')}`);
  const pieces = rest
    .join(' ')
    .split(';')
    .map((piece) => piece.trim())
    .filter(Boolean)
    .flatMap((piece) => (BARE_READS.test(piece) ? piece.split(',').map((read) => read.trim()) : [piece]));
  if (kind === 'q5' || kind === 'md') {
    if (pieces.length > 0) throw new BenchTableError(`BENCHMARKS.md:${line}: a ${kind} table has no rows to name`);
    return { file, kind, rows: [], line };
  }
  if (pieces.length === 0) throw new BenchTableError(`BENCHMARKS.md:${line}: a bench-table marker names its rows (e.g. Q1,Q2,Q3,Q4)`);
  const rows = pieces.map((piece): TableRow => {
    const match = ROW.exec(piece);
    const read = match && READ.exec(match.groups!.label!)?.[1];
    if (!match || !read) throw new BenchTableError(`BENCHMARKS.md:${line}: row "${piece}" must start with a read (Q1…Q4 or M1)`);
    if (read === 'M1' && kind !== 'peak') throw new BenchTableError(`BENCHMARKS.md:${line}: M1 has a row in peak tables only`);
    return { read, label: match.groups!.label!, file: match.groups!.file ?? file, ...(match.groups!.note ? { note: match.groups!.note } : {}) };
  });
  return { file, kind: kind as TableKind, rows, line };
}

/** Every marker in the page, in order. */
export function markersOf(page: string): TableMarker[] {
  return [...page.matchAll(START)].map((match) => parseMarker(match[1]!, lineAt(page, match.index)));
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** (c)'s and (d)'s results for a row's read, from its file. */
function gatewaysFor(row: TableRow, results: ResultsFile, line: number): { ours: PeakResult; hive: PeakResult } {
  const find = (target: string) => {
    const result = results.operations.find((candidate) => candidate.operation === row.read && candidate.target === target);
    if (!result) throw new BenchTableError(`BENCHMARKS.md:${line}: ${row.file} has no ${row.read} through ${target}`);
    return result;
  };
  return { ours: find('greencart'), hive: find('hive') };
}

/** Whether the bench's own target for this read against (d) is met (Q1 and Q4 have one). */
function meetsHiveTarget(read: string, share: number): boolean {
  const target = THROUGHPUT_TARGETS.find((candidate) => candidate.operation === read && candidate.other === 'hive');
  return target !== undefined && share >= target.fraction;
}

function ratioTable(marker: TableMarker, resultsOf: (file: string) => ResultsFile): string[] {
  const lines = ['| Read | (c) GreenCart req/s | (d) Hive Gateway req/s | (c) / (d) |', '|---|---:|---:|---:|'];
  for (const row of marker.rows) {
    const { ours, hive } = gatewaysFor(row, resultsOf(row.file), marker.line);
    const share = peakShare(ours, hive);
    const remarks = [...(meetsHiveTarget(row.read, share) ? ['**met**'] : []), ...(row.note ? [row.note] : [])];
    lines.push(`| ${row.label} | ${formatRps(ours.peak.rps)} | ${formatRps(hive.peak.rps)} | ${formatShare(share)}${remarks.length > 0 ? ` (${remarks.join('; ')})` : ''} |`);
  }
  return lines;
}

function peakTable(marker: TableMarker, resultsOf: (file: string) => ResultsFile): string[] {
  const lines = ['| | (c) GreenCart | (d) Hive Gateway | (c) / (d) |', '|---|---:|---:|---:|'];
  const note = (row: TableRow) => (row.note ? ` (${row.note})` : '');
  for (const row of marker.rows) {
    const results = resultsOf(row.file);
    if (row.read === 'M1') {
      const placeOrder = (target: string) => {
        const result = results.placeOrders.find((candidate) => candidate.target === target);
        if (!result) throw new BenchTableError(`BENCHMARKS.md:${marker.line}: ${row.file} has no M1 through ${target}`);
        return result;
      };
      const ours = placeOrder('greencart');
      const hive = placeOrder('hive');
      const sent = ours.load.sent === hive.load.sent ? `${ours.load.sent}` : `${ours.load.sent} and ${hive.load.sent}`;
      const cell = (result: typeof ours) => `${result.placed} placed, ${result.stockCheck.oversold ? '**oversold**' : 'nothing oversold'}, p99 ${result.load.p99} ms`;
      const label = row.label === 'M1' ? `M1 placeOrder (${sent} sent)` : row.label;
      lines.push(`| ${label} | ${cell(ours)} | ${cell(hive)} |${note(row)} |`);
      continue;
    }
    const { ours, hive } = gatewaysFor(row, results, marker.line);
    const share = peakShare(ours, hive);
    const label = row.label === row.read ? `${row.read} (${READ_DESCRIPTIONS[row.read]})` : row.label;
    const cell = (result: PeakResult) => `${formatRps(result.peak.rps)} req/s, p99 ${result.peak.p99} ms`;
    const ratio = meetsHiveTarget(row.read, share) ? `**${formatShare(share)}**` : formatShare(share);
    lines.push(`| ${label} | ${cell(ours)} | ${cell(hive)} | ${ratio}${note(row)} |`);
  }
  return lines;
}

/** One marker's table, every figure from its result files. */
export function renderTable(marker: TableMarker, resultsOf: (file: string) => ResultsFile): string[] {
  if (marker.kind === 'q5') return q5Table(marker, resultsOf);
  if (marker.kind === 'md') return markdownTables(marker, resultsOf);
  return marker.kind === 'ratio' ? ratioTable(marker, resultsOf) : peakTable(marker, resultsOf);
}

/** The tables of a scenario's .md result file, as the bench wrote them (a blank line between two). */
function markdownTables(marker: TableMarker, resultsOf: (file: string) => ResultsFile): string[] {
  const markdown = resultsOf(marker.file).markdown;
  if (markdown === undefined) throw new BenchTableError(`BENCHMARKS.md:${marker.line}: ${marker.file} is not a .md result file`);
  const lines = markdown.split('\n');
  return lines.filter((line, index) => line.startsWith('|') || (line === '' && lines[index - 1]?.startsWith('|') && lines.slice(index + 1).some((later) => later.startsWith('|'))));
}

/** Q5's table lines as the bench renders them (deferred-page-report.ts), from its file. */
function q5Table(marker: TableMarker, resultsOf: (file: string) => ResultsFile): string[] {
  const q5 = resultsOf(marker.file).deferredPage;
  if (!q5) throw new BenchTableError(`BENCHMARKS.md:${marker.line}: ${marker.file} holds no Q5 (deferredPage)`);
  return deferredPageMarkdown(q5)
    .split('\n')
    .filter((line) => line.startsWith('|'));
}

/** The page with every generated table rendered again; everything outside the markers as it was. */
export function renderPage(page: string, resultsOf: (file: string) => ResultsFile): string {
  let rendered = '';
  let from = 0;
  for (const match of page.matchAll(START)) {
    const line = lineAt(page, match.index);
    if (match.index < from) throw new BenchTableError(`BENCHMARKS.md:${line}: a bench-table marker inside another table's markers`);
    const afterMarker = match.index + match[0].length;
    const closing = END.exec(page.slice(afterMarker));
    if (!closing) throw new BenchTableError(`BENCHMARKS.md:${line}: no <!-- /bench-table --> after this bench-table marker`);
    const end = afterMarker + closing.index;
    const table = renderTable(parseMarker(match[1]!, line), resultsOf);
    // Blank lines around the table, so that no Markdown renderer reads a marker as one of its rows.
    rendered += `${page.slice(from, afterMarker)}\n\n${table.join('\n')}\n\n`;
    from = end;
  }
  return rendered + page.slice(from);
}

/** The first line where two versions of the page differ (1-based), or undefined when they are the same. */
export function firstDifference(page: string, rendered: string): { line: number; page: string; rendered: string } | undefined {
  const pageLines = page.split('\n');
  const renderedLines = rendered.split('\n');
  for (let index = 0; index < Math.max(pageLines.length, renderedLines.length); index++) {
    if (pageLines[index] !== renderedLines[index]) return { line: index + 1, page: pageLines[index] ?? '(end of page)', rendered: renderedLines[index] ?? '(end of page)' };
  }
  return undefined;
}

/** Result files from scripts/bench/results/, each read once. */
export function resultsFolderReader(folder: string = RESULTS_FOLDER): (file: string) => ResultsFile {
  const read = new Map<string, ResultsFile>();
  return (file) => {
    if (!read.has(file)) {
      if (!existsSync(`${folder}${file}`)) throw new BenchTableError(`BENCHMARKS.md names ${file}, which ${folder} does not have`);
      if (file.endsWith('.md')) {
        read.set(file, { markdown: readFileSync(`${folder}${file}`, 'utf8'), operations: [], placeOrders: [] });
        return read.get(file)!;
      }
      // Typed as the bench writes it, so a change to run.ts's report that these tables depend on fails the typecheck.
      const report: BenchReport = JSON.parse(readFileSync(`${folder}${file}`, 'utf8'));
      read.set(file, report);
    }
    return read.get(file)!;
  };
}

// Run as a script: rewrite BENCHMARKS.md's tables, or with --check say whether it is up to date.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const page = readFileSync(BENCHMARKS_PAGE, 'utf8');
  const rendered = renderPage(page, resultsFolderReader());
  const difference = firstDifference(page, rendered);
  const tables = markersOf(page).length;
  if (!difference) {
    process.stdout.write(`BENCHMARKS.md: ${tables} generated tables, all up to date\n`);
  } else if (process.argv.includes('--check')) {
    process.stderr.write(`BENCHMARKS.md:${difference.line} differs from its results files:\n  page:     ${difference.page}\n  rendered: ${difference.rendered}\nRun npm run bench:tables.\n`);
    process.exitCode = 1;
  } else {
    writeFileSync(BENCHMARKS_PAGE, rendered);
    process.stdout.write(`BENCHMARKS.md: ${tables} generated tables rendered (first change at line ${difference.line})\n`);
  }
}
