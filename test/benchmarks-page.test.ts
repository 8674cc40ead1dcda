import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BENCHMARKS_PAGE,
  BenchTableError,
  figuresOf,
  firstDifference,
  markersOf,
  parseFigure,
  parseMarker,
  RESULTS_FOLDER,
  renderFigure,
  renderFigures,
  renderPage,
  renderTable,
  resultsFolderReader,
  type ResultsFile,
} from '../scripts/bench/tables.js';

/**
 * BENCHMARKS.md's generated tables and inline figures are what `npm run bench:tables` renders from
 * the result files the bench wrote: a figure typed over, or a result file changed under the page,
 * fails here; and so does a measured figure typed in prose, outside the markers.
 * Pure: reads the page and scripts/bench/results/, starts nothing.
 */
const page = readFileSync(BENCHMARKS_PAGE, 'utf8');

/**
 * What looks like a measured figure: a number (or a range, `405–444`) followed by the unit of a
 * measurement: req/s, RPS, ms, µs, KiB, MiB, GiB, MB, %, × (not `1600×1600`), or any `<word>/s`
 * (orders/s, pages/s). Numbers that name or count things carry no such unit and pass: Q1, p99,
 * issue 28, 2026-12-07, 50 products, 20 lines, runs of 10 s, a 10 s TTL.
 */
const MEASURED = /(?<![\w.,–-])\d[\d,.]*(?:\s?[–-]\s?\d[\d,.]*)?(?:\s?(?:req\/s|RPS|ms|µs|KiB|MiB|GiB|MB|[a-z]+\/s)(?![\w/])|%|×(?!\d))/g;
/**
 * A setting or a target has a unit but is no measurement: it passes when the words right after it
 * say so (`the 700 MiB target`, `a 192 MiB heap budget`, `answers 50 ms late`, `every 50 ms`) or a
 * comparison comes right before it (`p99 < 250 ms`, `at most 700 MiB`, `within 10%`).
 */
const SETTING_AFTER = /^\s(?:target|budget|heap budget|limit|delay|late|per semi-space|samples)\b/;
const SETTING_BEFORE = /(?:<|≤|≥|at most|more than|above|within|every|under)\s$/;

/** The figures of the page's prose that no marker generates: `line: text`, one a figure. */
function unmarkedFigures(text: string): string[] {
  const blank = (part: string) => part.replace(/[^\n]/g, ' ');
  const prose = text
    .replace(/^```[\s\S]*?^```$/gm, blank)
    .replace(/^<!-- bench-table:[\s\S]*?^<!-- \/bench-table -->$/gm, blank)
    .replace(/<!-- fig:[^>]*?-->[^<\n]*<!-- \/fig -->/g, blank)
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/`[^`\n]*`/g, blank);
  return prose
    .split('\n')
    .flatMap((line, index) =>
      [...line.matchAll(MEASURED)]
        .filter((match) => !SETTING_AFTER.test(line.slice(match.index + match[0].length)) && !SETTING_BEFORE.test(line.slice(0, match.index)))
        .map((match) => `${index + 1}: ${match[0]}`),
    );
}

describe('BENCHMARKS.md', () => {
  it('names only result files that exist', () => {
    const named = [...new Set([...markersOf(page).flatMap((marker) => [marker.file, ...marker.rows.map((row) => row.file)]), ...figuresOf(page).map((figure) => figure.file)])];
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((file) => !existsSync(join(RESULTS_FOLDER, file)))).toEqual([]);
  });

  it('shows every generated table exactly as its result files give it (else: the first line that differs)', () => {
    expect(firstDifference(page, renderPage(page, resultsFolderReader()))).toBeUndefined();
  });

  it('fails on a figure altered by hand, at its line, and rendering puts the file’s figure back', () => {
    // Altered in memory, in the page as its files give it (so this holds whether or not the page is up to date).
    const rendered = renderPage(page, resultsFolderReader());
    const lines = rendered.split('\n');
    const firstMarker = lines.findIndex((line) => line.startsWith('<!-- bench-table:'));
    const row = lines.findIndex((line, index) => index > firstMarker && /^\| Q\d[^|]* \| \d+ \|/.test(line));
    expect(row).toBeGreaterThan(firstMarker);
    expect(firstMarker).toBeGreaterThanOrEqual(0);
    const typed = lines[row]!.replace(/^(\| Q\d[^|]* \| )(\d+)/, (_, cells: string, rps: string) => `${cells}${Number(rps) + 1}`);
    const altered = [...lines.slice(0, row), typed, ...lines.slice(row + 1)].join('\n');

    expect(firstDifference(altered, renderPage(altered, resultsFolderReader()))).toEqual({ line: row + 1, page: typed, rendered: lines[row] });
    expect(renderPage(altered, resultsFolderReader())).toBe(rendered);
  });

  it('refuses a marker whose result file is missing', () => {
    const stale = '<!-- bench-table: gateways-never-run.json ratio Q1 -->\n| made up |\n<!-- /bench-table -->\n';
    expect(() => renderPage(stale, resultsFolderReader())).toThrow(/gateways-never-run\.json/);
  });

  it('shows every inline figure as its result file gives it (else: each line that differs)', () => {
    const figures = figuresOf(page);
    expect(figures.length).toBeGreaterThan(0);
    const lines = page.split('\n');
    const rendered = renderFigures(page, resultsFolderReader()).split('\n');
    expect(lines.map((line, index) => (line === rendered[index] ? undefined : `${index + 1}: ${line}\n   file: ${rendered[index]}`)).filter(Boolean)).toEqual([]);
  });

  it('fails on an inline figure altered by hand, at its line, and rendering puts the file’s figure back', () => {
    const rendered = renderPage(page, resultsFolderReader());
    const lines = rendered.split('\n');
    const row = lines.findIndex((line) => /<!-- fig:[^>]*-->\d/.test(line));
    expect(row).toBeGreaterThanOrEqual(0);
    const typed = lines[row]!.replace(/(<!-- fig:[^>]*-->)(\d+)/, (_, marker: string, figure: string) => `${marker}${Number(figure) + 1}`);
    const altered = [...lines.slice(0, row), typed, ...lines.slice(row + 1)].join('\n');

    expect(firstDifference(altered, renderPage(altered, resultsFolderReader()))).toEqual({ line: row + 1, page: typed, rendered: lines[row] });
    expect(renderPage(altered, resultsFolderReader())).toBe(rendered);
  });

  it('refuses an inline figure whose result file or value is missing', () => {
    expect(() => renderPage('Q1: <!-- fig: gateways-never-run.json operations[Q1,hive].peak.rps rps -->1<!-- /fig -->\n', resultsFolderReader())).toThrow(/gateways-never-run\.json/);
    expect(() => renderPage('Prose.\nQ9: <!-- fig: gateways-2026-12-07.json operations[Q9,hive].peak.rps rps -->1<!-- /fig -->\n', resultsFolderReader())).toThrow(
      'BENCHMARKS.md:2: gateways-2026-12-07.json has no operations[Q9,hive].peak.rps',
    );
    expect(() => renderPage('Memory: <!-- fig: gateways-2026-12-07.json servicesRssUnderQ1.peakBytes.search mib -->1<!-- /fig -->\n', resultsFolderReader())).toThrow(
      /has no servicesRssUnderQ1\.peakBytes\.search/,
    );
  });

  it('holds no measured figure in its prose outside the markers (see MEASURED for the rule)', () => {
    expect(unmarkedFigures(page)).toEqual([]);
  });
});

describe('the prose guard', () => {
  it('finds measured figures and lets names, counts, settings and targets pass', () => {
    const prose = [
      'Q1 through (c) 236 req/s, p99 140 ms; 727 MiB; 27.7 KiB each; 105%; 2.5× faster; 171.9 orders/s; 405–444 RPS.',
      'Q1, p99, issue 28, 2026-12-07, 50 products, a 10 s TTL, 1600×1600 JPEG, runs of 10 s.',
      'the 700 MiB target, a 192 MiB heap budget, orders answers 50 ms late, p99 < 250 ms, at most 700 MiB, within 10%.',
      'Hidden: `512 MiB`, <!-- 5 ms -->, <!-- fig: run.json a rps -->236<!-- /fig --> req/s.',
    ].join('\n');
    expect(unmarkedFigures(prose)).toEqual(['1: 236 req/s', '1: 140 ms', '1: 727 MiB', '1: 27.7 KiB', '1: 105%', '1: 2.5×', '1: 171.9 orders/s', '1: 405–444 RPS']);
  });
});

describe('the bench-table renderer', () => {
  const result = (target: string, operation: string, rps: number, p99 = 100) => ({ target, operation, peak: { rps, p50: 50, p99 } });
  const run: ResultsFile = {
    operations: [
      result('greencart', 'Q1', 235.5, 140),
      result('hive', 'Q1', 225.3, 127),
      result('greencart', 'Q2', 237.5),
      result('hive', 'Q2', 268.61),
      // Rounded first, 146 / 139 would be 105%: the bench divides the medians, 146.2 / 138.5 = 105.6%.
      result('greencart', 'Q4', 146.2),
      result('hive', 'Q4', 138.5),
    ],
    placeOrders: [
      { target: 'greencart', placed: 100, load: { sent: 220, p99: 246 }, stockCheck: { oversold: false } },
      { target: 'hive', placed: 99, load: { sent: 220, p99: 191 }, stockCheck: { oversold: false } },
    ],
  };
  const againQ1: ResultsFile = { operations: [result('greencart', 'Q1', 100), result('hive', 'Q1', 125)], placeOrders: [] };
  const files: Record<string, ResultsFile> = { 'run.json': run, 'again.json': againQ1 };
  const resultsOf = (file: string) => files[file]!;

  it('prints req/s and the ratio as the bench does, with **met** where its target against (d) is met', () => {
    expect(renderTable(parseMarker('run.json ratio Q1,Q2,Q4', 1), resultsOf)).toEqual([
      '| Read | (c) GreenCart req/s | (d) Hive Gateway req/s | (c) / (d) |',
      '|---|---:|---:|---:|',
      '| Q1 | 236 | 225 | 105% (**met**) |',
      '| Q2 | 238 | 269 | 88% |',
      '| Q4 | 146 | 139 | 106% (**met**) |',
    ]);
  });

  it('keeps a note beside its figure and takes a row from another file', () => {
    const marker = parseMarker(' run.json ratio\n  Q2 (behind, as in every run: issue 28);\n  Q1, alone, minutes later from again.json ', 12);
    expect(marker.rows).toEqual([
      { read: 'Q2', label: 'Q2', file: 'run.json', note: 'behind, as in every run: issue 28' },
      { read: 'Q1', label: 'Q1, alone, minutes later', file: 'again.json' },
    ]);
    expect(parseMarker('run.json ratio Q1, from cold', 1).rows).toEqual([{ read: 'Q1', label: 'Q1, from cold', file: 'run.json' }]);
    expect(renderTable(marker, resultsOf).slice(2)).toEqual(['| Q2 | 238 | 269 | 88% (behind, as in every run: issue 28) |', '| Q1, alone, minutes later | 100 | 125 | 80% |']);
  });

  it('prints peak tables with p99 and M1', () => {
    expect(renderTable(parseMarker('run.json peak Q1,M1', 1), resultsOf).slice(2)).toEqual([
      "| Q1 (an order of 20 lines, products' price, stock, category) | 236 req/s, p99 140 ms | 225 req/s, p99 127 ms | **105%** |",
      '| M1 placeOrder (220 sent) | 100 placed, nothing oversold, p99 246 ms | 99 placed, nothing oversold, p99 191 ms | |',
    ]);
  });

  it("prints Q5's table from its own file, median run by pages/s, every run's figure in brackets", () => {
    const run = (pagesPerSecond: number, firstP50: number) => ({ pages: pagesPerSecond * 10, pagesPerSecond, incomplete: 0, first: { p50: firstP50, p99: firstP50 * 2 }, last: { p50: 80, p99: 160 } });
    const q5 = {
      deferredPage: { ordersDelayMs: 50, connections: 4, seconds: 10, deferred: [run(40, 20), run(42, 22), run(41, 21)], whole: [run(44, 75), run(43, 76), run(45, 74)] },
      operations: [],
      placeOrders: [],
    };
    const table = renderTable(parseMarker('q5.json q5', 1), (file) => (file === 'q5.json' ? q5 : resultsOf(file)));
    expect(table.slice(2)).toEqual([
      '| with `@defer` (multipart) | 41 (40, 42, 41) | 21 / 42 (20, 22, 21) | 80 / 160 | 0 of 1230 |',
      '| without (one JSON answer) | 44 (44, 43, 45) | 75 / 150 (75, 76, 74) | 80 / 160 | 0 of 1320 |',
    ]);
    expect(() => parseMarker('q5.json q5 Q1', 1)).toThrow(/no rows/);
    expect(() => renderTable(parseMarker('run.json q5', 1), resultsOf)).toThrow(/holds no Q5/);
  });

  it("takes a scenario's tables from the .md the bench wrote beside its .json, prose left out", () => {
    const markdown = 'I1: prose about the run.\n\n| I1 | req/s |\n|---|---:|\n| warm | 86 |\n\nMore prose.\n\n| I1 memory | MiB |\n|---|---:|\n| peak | 582 |\n';
    const table = renderTable(parseMarker('run-i1.md md', 1), (file) => (file === 'run-i1.md' ? { markdown, operations: [], placeOrders: [] } : resultsOf(file)));
    expect(table).toEqual(['| I1 | req/s |', '|---|---:|', '| warm | 86 |', '', '| I1 memory | MiB |', '|---|---:|', '| peak | 582 |']);
    expect(() => parseMarker('run-i1.json md', 1)).toThrow(/…md/);
    expect(() => renderTable(parseMarker('run.md md', 1), () => ({ operations: [], placeOrders: [] }))).toThrow(/not a \.md result file/);
  });

  it('rewrites only what lies between the markers', () => {
    const before = 'Prose with 999 req/s.\n<!-- bench-table: run.json ratio Q1 -->\n| Q1 | 1 | 1 | 100% |\n<!-- /bench-table -->\nMore prose.\n';
    expect(renderPage(before, resultsOf)).toBe(
      'Prose with 999 req/s.\n<!-- bench-table: run.json ratio Q1 -->\n\n| Read | (c) GreenCart req/s | (d) Hive Gateway req/s | (c) / (d) |\n|---|---:|---:|---:|\n| Q1 | 236 | 225 | 105% (**met**) |\n\n<!-- /bench-table -->\nMore prose.\n',
    );
  });

  it('refuses markers it cannot follow', () => {
    expect(() => parseMarker('run.json chart Q1', 3)).toThrow(BenchTableError);
    expect(() => parseMarker('run.json ratio M1', 3)).toThrow(/peak tables only/);
    expect(() => renderPage('<!-- bench-table: run.json ratio Q1 -->\n| Q1 |\n', resultsOf)).toThrow(/no <!-- \/bench-table -->/);
    expect(() => renderTable(parseMarker('again.json ratio Q2', 3), resultsOf)).toThrow(/again\.json has no Q2 through greencart/);
  });
});

describe('the inline figure renderer', () => {
  const written = {
    operations: [
      { target: 'greencart', operation: 'Q1', peak: { rps: 235.5, p50: 63, p99: 140 }, runs: [{ rps: 177.9 }, { rps: 243.4 }] },
      { target: 'hive', operation: 'Q1', peak: { rps: 225.3, p50: 69, p99: 127 }, runs: [] },
    ],
    placeOrders: [],
    servicesRssUnderQ1: { peakBytes: { gateway: 270057472, reviews: 104140800 }, sumOfPeaksBytes: 762138624 },
    liveUpdates: { quiet: { expected: 89940 }, underLoad: { expected: 71952 }, gateway: { heapPerSubscriptionBytes: 28353 } },
    machine: { cpuModel: 'AMD EPYC' },
  };
  // A result file holds more than the tables read (runs, memory, S1, the machine), all of it reachable by a place.
  const run: ResultsFile = written;
  const resultsOf = (file: string) => {
    if (file !== 'run.json') throw new BenchTableError(`BENCHMARKS.md names ${file}, which the test does not have`);
    return run;
  };
  const figure = (text: string) => renderFigure(parseFigure(text, 7), resultsOf);

  it('prints a value with the report’s own rounding, picked out of an array by what it holds', () => {
    expect(figure('run.json operations[Q1,hive].peak.rps rps')).toBe('225');
    expect(figure('run.json operations[Q1,greencart].peak.p99')).toBe('140');
    expect(figure('run.json operations[greencart,Q1].runs[1].rps')).toBe('243.4');
    expect(figure('run.json servicesRssUnderQ1.peakBytes.gateway mib')).toBe('258');
    expect(figure('run.json liveUpdates.gateway.heapPerSubscriptionBytes kib')).toBe('27.7');
    expect(figure('run.json machine.cpuModel')).toBe('AMD EPYC');
  });

  it('adds, subtracts and divides places: sums, and shares from the unrounded figures', () => {
    expect(figure('run.json operations[Q1,greencart].peak.rps / operations[Q1,hive].peak.rps share')).toBe('105%');
    expect(figure('run.json servicesRssUnderQ1.sumOfPeaksBytes - servicesRssUnderQ1.peakBytes.reviews mib')).toBe('628');
    expect(figure('run.json liveUpdates.quiet.expected + liveUpdates.underLoad.expected count')).toBe('161,892');
  });

  it('rewrites only the figure between the markers, and refuses markers it cannot follow', () => {
    expect(renderFigures('Q1: <!-- fig: run.json operations[Q1,hive].peak.rps rps -->999<!-- /fig --> req/s, 5 ms.\n', resultsOf)).toBe(
      'Q1: <!-- fig: run.json operations[Q1,hive].peak.rps rps -->225<!-- /fig --> req/s, 5 ms.\n',
    );
    for (const opening of ['', '  ', '- ', '> ']) {
      expect(() => renderFigures(`Memory:\n${opening}<!-- fig: run.json servicesRssUnderQ1.sumOfPeaksBytes mib -->727<!-- /fig --> MiB.\n`, resultsOf)).toThrow(
        /^BENCHMARKS\.md:2: a fig marker follows a word/,
      );
    }
    expect(renderFigures('Memory:\n**<!-- fig: run.json servicesRssUnderQ1.sumOfPeaksBytes mib -->1<!-- /fig --> MiB**\n', resultsOf)).toContain('-->727<');
    const quoted = 'Write `<!-- fig: run.json operations[Q1,hive].peak.rps rps -->0<!-- /fig -->` around a figure.\n';
    expect(renderFigures(quoted, resultsOf)).toBe(quoted);
    expect(() => renderFigures('One.\nQ1: <!-- fig: run.json operations[Q1,hive].peak.rps rps -->999 req/s.\n', resultsOf)).toThrow(/^BENCHMARKS\.md:2: a fig marker is closed/);
    expect(() => parseFigure('run.md operations', 3)).toThrow(/starts with a \.json result file/);
    expect(() => parseFigure('run.json a + / b', 3)).toThrow(/paths joined by/);
    expect(() => figure('run.json operations[Q1].peak.rps')).toThrow('BENCHMARKS.md:7: run.json has 2 elements for operations[Q1]; name one');
    expect(() => figure('run.json operations[Q2,hive].peak.rps')).toThrow('BENCHMARKS.md:7: run.json has no operations[Q2,hive].peak.rps');
    expect(() => figure('run.json operations[Q1,hive].peak')).toThrow(/is not a figure/);
    expect(() => figure('run.json machine.cpuModel rps')).toThrow(/is not a number/);
    expect(() => figure('other.json machine.cpuModel')).toThrow(/other\.json/);
  });
});
