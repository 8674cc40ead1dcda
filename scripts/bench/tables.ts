// `npm run bench:tables`: renders every generated table and inline figure of BENCHMARKS.md from the result files the
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
// A figure in a sentence is generated too: an inline marker names its file, its place in the file
// and how the report prints it, and holds the figure, rewritten on every run:
//
//   Q1 through (d) <!-- fig: gateways-2026-12-07.json operations[Q1,hive].peak.rps rps -->153<!-- /fig --> req/s
//
// The place is a path into the .json: keys joined by `.`; `name[Q1,hive]` is the one element of the
// array `name` holding those values (`operations[Q1,hive]`), `name[0]` the first. Places may be
// added or subtracted (`a + b - c`) and one sum divided by another (`a / b`, for shares). The last
// word, when it is one of FIGURE_FORMATS, says how to print the value (else as the file has it).
// A marker never opens a line (Markdown would read the line as HTML), and one quoted in a `code span`
// is left alone.
// `--check` changes nothing and fails with the first line that differs (test/benchmarks-page.test.ts does the same).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatCount, formatRps, formatShare, formatWhole, kib, mib, peakShare, THROUGHPUT_TARGETS, type PeakResult } from './report-figures.js';
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

/** How an inline figure may be printed: the report's own functions (report-figures.ts). */
export const FIGURE_FORMATS: Record<string, (value: number) => string> = {
  /** Whole requests a second. */
  rps: formatRps,
  /** A share as a whole percentage (of `a / b`, or of a fraction the file holds). */
  share: formatShare,
  /** Bytes as whole MiB. */
  mib: (bytes) => mib(bytes),
  /** Bytes as KiB, one decimal. */
  kib,
  /** A whole number with thousands separators. */
  count: formatCount,
  /** A whole number. */
  whole: formatWhole,
};

export interface FigureMarker {
  file: string;
  /** The place as written, for messages. */
  place: string;
  /** Sums of paths: the figure is numerator[0] (or its sum), divided by the denominator's sum when there is one. */
  numerator: Array<{ sign: 1 | -1; path: string }>;
  denominator?: Array<{ sign: 1 | -1; path: string }>;
  format?: string;
  line: number;
}

// An inline figure: its marker, the figure, and the closing marker, on one line.
const FIGURE = /<!-- fig:([^>]*?)-->([^<\n]*)<!-- \/fig -->/g;
const FIGURE_START = /<!-- fig:/g;

/** An inline marker's text (what follows `fig:`) as its file, place and format. */
export function parseFigure(text: string, line: number): FigureMarker {
  const words = text.trim().split(/\s+/);
  const file = words.shift() ?? '';
  if (!file.endsWith('.json')) throw new BenchTableError(`BENCHMARKS.md:${line}: a fig marker starts with a .json result file, not "${file}"`);
  const format = words.length > 1 && Object.hasOwn(FIGURE_FORMATS, words.at(-1)!) ? words.pop() : undefined;
  const place = words.join(' ');
  const sum = (terms: string[]) => {
    const parts: Array<{ sign: 1 | -1; path: string }> = [];
    if (terms.length % 2 === 0) throw new BenchTableError(`BENCHMARKS.md:${line}: fig place "${place}" is paths joined by +, - and one /`);
    for (let index = 0; index < terms.length; index += 2) {
      const operator = index === 0 ? '+' : terms[index - 1];
      const path = terms[index];
      if ((operator !== '+' && operator !== '-') || !path || /^[-+/]$/.test(path)) throw new BenchTableError(`BENCHMARKS.md:${line}: fig place "${place}" is paths joined by +, - and one /`);
      parts.push({ sign: operator === '+' ? 1 : -1, path });
    }
    return parts;
  };
  const slash = words.indexOf('/');
  if (words.length === 0) throw new BenchTableError(`BENCHMARKS.md:${line}: a fig marker names a place in ${file}`);
  if (slash === -1) return { file, place, numerator: sum(words), ...(format ? { format } : {}), line };
  return { file, place, numerator: sum(words.slice(0, slash)), denominator: sum(words.slice(slash + 1)), ...(format ? { format } : {}), line };
}

/** The value at a path of a result file (`operations[Q1,hive].peak.rps`), or a BenchTableError naming what is missing. */
function valueAt(results: unknown, path: string, file: string, line: number): unknown {
  let value = results;
  for (const segment of path.split(/\.(?![^[]*\])/)) {
    const match = /^(?<key>[^[\]]+)(?:\[(?<select>[^\]]+)\])?$/.exec(segment);
    if (!match) throw new BenchTableError(`BENCHMARKS.md:${line}: "${segment}" in ${path} is a key, or a key and [values]`);
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[match.groups!.key!] : undefined;
    const select = match.groups!.select;
    if (select !== undefined && Array.isArray(value)) {
      const wanted = select.split(',').map((word) => word.trim());
      const candidates: unknown[] = value;
      const found = /^\d+$/.test(select)
        ? [candidates[Number(select)]].filter((element) => element !== undefined)
        : candidates.filter((element) => element !== null && typeof element === 'object' && wanted.every((word) => Object.values(element).some((field) => String(field) === word)));
      if (found.length > 1) throw new BenchTableError(`BENCHMARKS.md:${line}: ${file} has ${found.length} elements for ${segment}; name one`);
      value = found[0];
    } else if (select !== undefined) value = undefined;
    if (value === undefined || value === null) throw new BenchTableError(`BENCHMARKS.md:${line}: ${file} has no ${path}`);
  }
  return value;
}

/** An inline figure as its file gives it, printed in its format. */
export function renderFigure(figure: FigureMarker, resultsOf: (file: string) => ResultsFile): string {
  const results = resultsOf(figure.file);
  const number = (path: string) => {
    const value = valueAt(results, path, figure.file, figure.line);
    if (typeof value !== 'number') throw new BenchTableError(`BENCHMARKS.md:${figure.line}: ${figure.file}'s ${path} is not a number`);
    return value;
  };
  const total = (terms: Array<{ sign: 1 | -1; path: string }>) => terms.reduce((sum, term) => sum + term.sign * number(term.path), 0);
  const format = figure.format ? FIGURE_FORMATS[figure.format]! : undefined;
  if (figure.numerator.length === 1 && !figure.denominator && !format) {
    const value = valueAt(results, figure.numerator[0]!.path, figure.file, figure.line);
    if (typeof value === 'object') throw new BenchTableError(`BENCHMARKS.md:${figure.line}: ${figure.file}'s ${figure.place} is not a figure`);
    return String(value);
  }
  const value = figure.denominator ? total(figure.numerator) / total(figure.denominator) : total(figure.numerator);
  return format ? format(value) : String(value);
}

// Text in `code spans` may quote a marker: it is neither read nor rendered.
const CODE_SPAN = /`[^`\n]*`/g;

/** The page with its code spans blanked out (same length, same lines), for finding markers. */
const withoutCode = (page: string) => page.replace(CODE_SPAN, (span) => ' '.repeat(span.length));

// What may come before a marker on its line and still leave it opening the line for Markdown:
// indentation, a quote's `>`, a list item's bullet or number.
const LINE_OPENING = /^(?:\s*(?:>|[-*+]\s|\d+[.)]\s))*\s*$/;

/** Every inline figure of the page, in order. */
export function figuresOf(page: string): FigureMarker[] {
  return [...withoutCode(page).matchAll(FIGURE)].map((match) => parseFigure(match[1]!, lineAt(page, match.index)));
}

/** The page with every inline figure rendered again from its file. */
export function renderFigures(page: string, resultsOf: (file: string) => ResultsFile): string {
  const prose = withoutCode(page);
  const figures = [...prose.matchAll(FIGURE)];
  const closed = new Set(figures.map((match) => match.index));
  for (const start of prose.matchAll(FIGURE_START)) {
    if (!closed.has(start.index)) throw new BenchTableError(`BENCHMARKS.md:${lineAt(page, start.index)}: a fig marker is closed by <!-- /fig --> on its line, its figure between`);
  }
  let rendered = '';
  let from = 0;
  for (const match of figures) {
    if (LINE_OPENING.test(page.slice(page.lastIndexOf('\n', match.index - 1) + 1, match.index)))
      throw new BenchTableError(`BENCHMARKS.md:${lineAt(page, match.index)}: a fig marker follows a word on its line (Markdown reads a line that starts with <!-- as HTML)`);
    const marker = `<!-- fig:${match[1]!}-->`;
    rendered += `${page.slice(from, match.index)}${marker}${renderFigure(parseFigure(match[1]!, lineAt(page, match.index)), resultsOf)}<!-- /fig -->`;
    from = match.index + match[0].length;
  }
  return rendered + page.slice(from);
}

/** The page with every generated table and inline figure rendered again; everything outside the markers as it was. */
export function renderPage(original: string, resultsOf: (file: string) => ResultsFile): string {
  const page = renderFigures(original, resultsOf);
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
  const tables = `${markersOf(page).length} generated tables and ${figuresOf(page).length} inline figures`;
  if (!difference) {
    process.stdout.write(`BENCHMARKS.md: ${tables}, all up to date\n`);
  } else if (process.argv.includes('--check')) {
    process.stderr.write(`BENCHMARKS.md:${difference.line} differs from its results files:\n  page:     ${difference.page}\n  rendered: ${difference.rendered}\nRun npm run bench:tables.\n`);
    process.exitCode = 1;
  } else {
    writeFileSync(BENCHMARKS_PAGE, rendered);
    process.stdout.write(`BENCHMARKS.md: ${tables} rendered (first change at line ${difference.line})\n`);
  }
}
