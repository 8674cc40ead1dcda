// The storefront's pages in a browser (target `pages`, issue 25): the catalogue (`/`) and a
// product's page loaded in headless Chromium against the bench's (c) gateway and data set. The
// storefront is built as production builds it (`vite build`, VITE_GREENCART_URL baked in, React's
// production build) and served by a small static server that caches and compresses as
// deploy/nginx/web-app.conf.template does (hashed assets immutable for a year, the rest `no-cache`,
// gzip), so a warm load is the browser cache production's server allows. Per page, `loads` loads
// cold (a fresh browser context each: empty cache) and `loads` warm (one context, reloaded after a
// first load that is not counted): first contentful paint and largest contentful paint from the
// browser's performance entries, median and p95, with what the page waited on: its GraphQL requests
// before LCP (count, time), when its content was whole, and the JavaScript it loaded.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { repositoryManifest, repositoryRoot } from '@greencart/platform';
import { median, percentile } from '../common.js';
import { log } from '../harness/log.js';
import type { BenchSession } from '../harness/session.js';

/** Debian's Chromium, as the browser tests use it (CHROMIUM_PATH to override); never a downloaded one. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const VIEWPORT = { width: 1400, height: 850 };

/** Builds the storefront into a temporary folder, pointed at `graphqlUrl`, as `npm run build` does outside tests. */
export async function buildStorefront(graphqlUrl: string): Promise<{ folder: string; seconds: number; remove(): Promise<void> }> {
  const app = repositoryManifest().webApps.find((candidate) => candidate.name === 'storefront');
  if (!app) throw new Error('supergraph.yaml names no web app `storefront`');
  const root = join(repositoryRoot, app.workspace);
  const folder = await mkdtemp(join(tmpdir(), 'greencart-bench-storefront-'));
  const { build } = await import('vite');
  // Vite reads VITE_* from the environment; NODE_ENV other than production (a test runner's) would bundle React's development build.
  const saved = { url: process.env.VITE_GREENCART_URL, nodeEnv: process.env.NODE_ENV };
  process.env.VITE_GREENCART_URL = graphqlUrl;
  process.env.NODE_ENV = 'production';
  const started = performance.now();
  try {
    // logLevel error: Vite's chunk-size advice is not the bench's to print.
    await build({ root, configFile: join(root, 'vite.config.ts'), mode: 'production', logLevel: 'error', build: { outDir: folder, emptyOutDir: true } });
  } finally {
    for (const [name, value] of [
      ['VITE_GREENCART_URL', saved.url],
      ['NODE_ENV', saved.nodeEnv],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  return { folder, seconds: Math.round((performance.now() - started) / 100) / 10, remove: () => rm(folder, { recursive: true, force: true }) };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};
/** nginx's gzip_types and gzip_min_length in web-app.conf.template. */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);
const GZIP_MIN_LENGTH = 256;

/**
 * Serves a built web app from memory on a free loopback port, with production's caching: hashed
 * files under /assets/ immutable for a year, everything else (and client-side routes, answered
 * with index.html) `no-cache`; gzipped when asked, as nginx does.
 */
export async function serveBuiltApp(folder: string): Promise<{ origin: string; close(): Promise<void> }> {
  const files = new Map<string, { body: Buffer; gzipped?: Buffer; type: string; cacheControl: string }>();
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = `/${relative(folder, join(entry.parentPath, entry.name)).split('\\').join('/')}`;
    const body = readFileSync(join(folder, path));
    const extension = extname(path);
    files.set(path, {
      body,
      gzipped: COMPRESSIBLE.has(extension) && body.length >= GZIP_MIN_LENGTH ? gzipSync(body, { level: 6 }) : undefined,
      type: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      cacheControl: path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  const index = files.get('/index.html');
  if (!index) throw new Error(`${folder} has no index.html`);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = files.get(path) ?? (path.startsWith('/assets/') ? undefined : index);
    if (!file) return void res.writeHead(404).end();
    const gzip = file.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzipped! : file.body;
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': body.length,
      'cache-control': file.cacheControl,
      ...(file.gzipped && { vary: 'Accept-Encoding' }),
      ...(gzip && { 'content-encoding': 'gzip' }),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the storefront server has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What one load measured, in milliseconds from the navigation's start. */
export interface PageLoad {
  fcpMs: number;
  lcpMs: number;
  /** The element LCP named, as `tag.class` (what the largest paint was). */
  lcpElement: string;
  /** When the page's content was whole: its data shown, no part still loading. */
  contentMs: number;
  /**
   * GraphQL requests (to the gateway) sent before LCP, their time to the first byte added up (with
   * @defer, the first part is what the page first renders), and when the last of those first bytes came.
   */
  graphqlBeforeLcp: number;
  graphqlBeforeLcpMs: number;
  graphqlFirstByteMs: number;
  /** Every GraphQL request of the load, and when the last one ended (its last deferred part). */
  graphqlRequests: number;
  lastGraphqlEndMs: number;
  /** JavaScript files, and their bytes as sent (0 from the browser's cache) and unpacked. */
  scripts: number;
  scriptBytesSent: number;
  scriptBytes: number;
  /** The HTML document's response end (from Navigation Timing). */
  documentMs: number;
}

/**
 * Runs in the page before its own scripts: notes when `window.__contentReady()` first holds (from
 * DOM changes), and keeps LCP entries as they come (LCP is reported only to observers).
 */
const PAGE_PROBE = `(() => {
  window.__bench = { contentMs: undefined, failed: false, lcp: [] };
  new PerformanceObserver((list) => window.__bench.lcp.push(...list.getEntries())).observe({ type: 'largest-contentful-paint', buffered: true });
  const check = () => {
    if (window.__bench.contentMs !== undefined || !document.body) return;
    if (document.querySelector('.state--error')) window.__bench.failed = true;
    if (window.__contentReady && window.__contentReady()) window.__bench.contentMs = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
})();`;

/** What "the content is whole" means on each page, as an expression the probe evaluates. */
const CONTENT_READY = {
  catalogue: `document.querySelector('main .product-card') && !document.querySelector('main .state--loading')`,
  product: `document.querySelector('main article.product h1') && !document.querySelector('main .state--loading')`,
} as const;
export type PageName = keyof typeof CONTENT_READY;

async function newContext(browser: Browser, page: PageName): Promise<BrowserContext> {
  // No request interception (it would turn the browser's cache off): the browser's host rules keep it on loopback instead.
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(`window.__contentReady = () => Boolean(${CONTENT_READY[page]});\n${PAGE_PROBE}`);
  return context;
}

/**
 * One load of `url` in `page` (a navigation or a reload): waits for the content, then reads the
 * entries. GraphQL timings come from the browser's own network events: the gateway is another
 * origin, whose Resource Timing hides when the first byte came (no Timing-Allow-Origin).
 */
async function loadOnce(page: Page, url: string, graphqlUrl: string, reload: boolean): Promise<PageLoad> {
  const graphqlCalls: { startEpochMs: number; firstByteMs: number; endMs: number }[] = [];
  const isGraphql = (request: Request) => request.url().startsWith(graphqlUrl) && request.method() !== 'OPTIONS';
  let inFlight = 0;
  const onRequest = (request: Request) => {
    if (isGraphql(request)) inFlight++;
  };
  // Failed counts too: Apollo Client cancels an answer in parts once it has read the last part, which the browser reports as a failed request.
  const onEnded = (request: Request) => {
    if (!isGraphql(request)) return;
    inFlight--;
    const timing = request.timing();
    graphqlCalls.push({ startEpochMs: timing.startTime, firstByteMs: timing.responseStart, endMs: timing.responseEnd >= 0 ? timing.responseEnd : Date.now() - timing.startTime });
  };
  page.on('request', onRequest);
  page.on('requestfinished', onEnded);
  page.on('requestfailed', onEnded);
  try {
    if (reload) await page.reload({ waitUntil: 'load' });
    else await page.goto(url, { waitUntil: 'load' });
    const load = await measureLoad(page, url, graphqlCalls);
    // Shown whole, the page's requests have ended; their events may still be on their way here.
    for (let waited = 0; inFlight > 0 && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    return load();
  } finally {
    page.off('request', onRequest);
    page.off('requestfinished', onEnded);
    page.off('requestfailed', onEnded);
  }
}

/** Waits for the page's content and reads its entries; the GraphQL figures are computed when the answer is called for. */
async function measureLoad(page: Page, url: string, graphqlCalls: { startEpochMs: number; firstByteMs: number; endMs: number }[]): Promise<() => PageLoad> {
  await page.waitForFunction(
    () => (window as unknown as { __bench: { contentMs?: number; failed: boolean } }).__bench.contentMs !== undefined || (window as unknown as { __bench: { failed: boolean } }).__bench.failed,
    undefined,
    { timeout: 20_000 },
  );
  // Two frames: the content's paint has happened, and LCP has been reported for it.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 50)))));
  const measured = await page.evaluate(() => {
    const bench = (window as unknown as { __bench: { contentMs?: number; failed: boolean; lcp: (PerformanceEntry & { element?: Element | null })[] } }).__bench;
    const lcpEntry = bench.lcp.at(-1);
    const element = lcpEntry?.element;
    const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    const lcp = lcpEntry?.startTime ?? NaN;
    const scripts = resources.filter((entry) => new URL(entry.name).pathname.endsWith('.js'));
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return {
      failed: bench.failed,
      fcpMs: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
      lcpMs: lcp,
      lcpElement: element ? `${element.tagName.toLowerCase()}${element.className ? `.${String(element.className).trim().split(/\s+/).join('.')}` : ''}` : 'none',
      contentMs: bench.contentMs ?? NaN,
      timeOrigin: performance.timeOrigin,
      scripts: scripts.length,
      scriptBytesSent: scripts.reduce((sum, entry) => sum + entry.encodedBodySize * (entry.transferSize > 0 ? 1 : 0), 0),
      scriptBytes: scripts.reduce((sum, entry) => sum + entry.decodedBodySize, 0),
      documentMs: navigation?.responseEnd ?? NaN,
    };
  });
  if (measured.failed) throw new Error(`${url}: the page showed an error state (the gateway refused or failed its requests)`);
  const { failed: _failed, timeOrigin, ...load } = measured;
  const round = (value: number) => Math.round(value * 10) / 10;
  return () => {
    // Playwright's request timing: startTime in epoch milliseconds, the rest relative to it (-1: not known, as for an answer from the cache).
    const calls = graphqlCalls.map((call) => {
      const startMs = call.startEpochMs - timeOrigin;
      return { startMs, firstByteMs: startMs + Math.max(0, call.firstByteMs), endMs: startMs + Math.max(0, call.endMs, call.firstByteMs) };
    });
    const before = calls.filter((call) => call.startMs < load.lcpMs);
    return {
      ...load,
      fcpMs: round(load.fcpMs),
      lcpMs: round(load.lcpMs),
      contentMs: round(load.contentMs),
      graphqlBeforeLcp: before.length,
      graphqlBeforeLcpMs: round(before.reduce((sum, call) => sum + (call.firstByteMs - call.startMs), 0)),
      graphqlFirstByteMs: round(Math.max(0, ...before.map((call) => call.firstByteMs))),
      graphqlRequests: calls.length,
      lastGraphqlEndMs: round(Math.max(0, ...calls.map((call) => call.endMs))),
      documentMs: round(load.documentMs),
    };
  };
}

/** A page's loads summed up: the paints' median and p95, the element LCP named most often, and the medians of the rest. */
export interface PageLoadSummary extends Omit<PageLoad, 'fcpMs' | 'lcpMs' | 'contentMs'> {
  loads: number;
  fcp: { median: number; p95: number };
  lcp: { median: number; p95: number };
  content: { median: number; p95: number };
}

function summarise(loads: PageLoad[]): PageLoadSummary {
  const spread = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { median: Math.round(median(sorted) * 10) / 10, p95: percentile(sorted, 0.95) };
  };
  const middle = (pick: (load: PageLoad) => number) => Math.round(median(loads.map(pick)) * 10) / 10;
  const elements = new Map<string, number>();
  for (const load of loads) elements.set(load.lcpElement, (elements.get(load.lcpElement) ?? 0) + 1);
  return {
    loads: loads.length,
    fcp: spread(loads.map((load) => load.fcpMs)),
    lcp: spread(loads.map((load) => load.lcpMs)),
    content: spread(loads.map((load) => load.contentMs)),
    lcpElement: [...elements].sort((a, b) => b[1] - a[1])[0]![0],
    graphqlBeforeLcp: middle((load) => load.graphqlBeforeLcp),
    graphqlBeforeLcpMs: middle((load) => load.graphqlBeforeLcpMs),
    graphqlFirstByteMs: middle((load) => load.graphqlFirstByteMs),
    graphqlRequests: middle((load) => load.graphqlRequests),
    lastGraphqlEndMs: middle((load) => load.lastGraphqlEndMs),
    scripts: middle((load) => load.scripts),
    scriptBytesSent: middle((load) => load.scriptBytesSent),
    scriptBytes: middle((load) => load.scriptBytes),
    documentMs: middle((load) => load.documentMs),
  };
}

export interface StorefrontPagesResult {
  buildSeconds: number;
  /** The product whose page was loaded (an id of the bench data set). */
  productId: string;
  pages: Record<PageName, { path: string; cold: PageLoadSummary; warm: PageLoadSummary }>;
  /** Requests the browser tried to send beyond loopback (stopped by its host rules): none expected. */
  leftLoopback: string[];
}

/**
 * Loads each page `loads` times cold and `loads` times warm. The gateway at `graphqlUrl` (the one
 * the build baked in) must let `origin` in by CORS and run production's safelist.
 */
export async function measureStorefrontPages(
  origin: string,
  graphqlUrl: string,
  options: { productId: string; loads: number; buildSeconds: number; log: (message: string) => void },
): Promise<StorefrontPagesResult> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // test/support/chromium.ts's flags (nothing of Chromium's own phones home), and every host name
    // but loopback's left unresolved: the pages may reach only this machine.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    ],
  });
  const leftLoopback: string[] = [];
  const watch = (page: Page) =>
    page.on('request', (request) => {
      const host = new URL(request.url()).hostname;
      if (!['127.0.0.1', 'localhost'].includes(host) && !request.url().startsWith('data:')) leftLoopback.push(request.url());
    });
  const paths: Record<PageName, string> = { catalogue: '/', product: `/products/${options.productId}` };
  const pages = {} as StorefrontPagesResult['pages'];
  try {
    for (const name of Object.keys(paths) as PageName[]) {
      const url = `${origin}${paths[name]}`;
      const cold: PageLoad[] = [];
      for (let load = 0; load < options.loads; load++) {
        const context = await newContext(browser, name);
        try {
          const page = await context.newPage();
          watch(page);
          cold.push(await loadOnce(page, url, graphqlUrl, false));
        } finally {
          await context.close();
        }
      }
      const warm: PageLoad[] = [];
      const context = await newContext(browser, name);
      try {
        const page = await context.newPage();
        watch(page);
        // The first load fills the cache; only the reloads count.
        await loadOnce(page, url, graphqlUrl, false);
        for (let load = 0; load < options.loads; load++) warm.push(await loadOnce(page, url, graphqlUrl, true));
      } finally {
        await context.close();
      }
      pages[name] = { path: paths[name], cold: summarise(cold), warm: summarise(warm) };
      for (const state of ['cold', 'warm'] as const) {
        const summary = pages[name][state];
        options.log(
          `pages ${name} ${state}: FCP median ${summary.fcp.median} / p95 ${summary.fcp.p95} ms, LCP median ${summary.lcp.median} / p95 ${summary.lcp.p95} ms (${summary.lcpElement}), content whole ${summary.content.median} ms; GraphQL sent before LCP ${summary.graphqlBeforeLcp} (${summary.graphqlBeforeLcpMs} ms to first bytes, the last at ${summary.graphqlFirstByteMs} ms), in all ${summary.graphqlRequests}; JS ${summary.scripts} files, ${(summary.scriptBytesSent / 1024).toFixed(1)} KiB sent`,
        );
      }
    }
  } finally {
    await browser.close();
  }
  if (leftLoopback.length > 0) options.log(`pages: requests beyond loopback (stopped): ${[...new Set(leftLoopback)].join(', ')}`);
  return { buildSeconds: options.buildSeconds, productId: options.productId, pages, leftLoopback: [...new Set(leftLoopback)] };
}

/** The pages' figures as markdown. */
export function storefrontPagesMarkdown(result: StorefrontPagesResult): string {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const rows = (Object.entries(result.pages) as [PageName, StorefrontPagesResult['pages'][PageName]][]).flatMap(([name, page]) =>
    (['cold', 'warm'] as const).map((state) => {
      const s = page[state];
      return `| ${name} (\`${name === 'product' ? '/products/:id' : page.path}\`), ${state} | ${s.loads} | ${s.fcp.median} / ${s.fcp.p95} | ${s.lcp.median} / ${s.lcp.p95} | \`${s.lcpElement}\` | ${s.content.median} / ${s.content.p95} | ${s.graphqlBeforeLcp}: ${s.graphqlBeforeLcpMs} ms, first bytes by ${s.graphqlFirstByteMs} ms | ${s.graphqlRequests}, all ended by ${s.lastGraphqlEndMs} ms | ${s.scripts}: ${kib(s.scriptBytesSent)} sent, ${kib(s.scriptBytes)} unpacked |`;
    }),
  );
  return [
    `Storefront pages in headless Chromium against (c) (CORS for the storefront's origin, production's safelist), the storefront built for production (${result.buildSeconds} s) and served with production's caching and gzip. Cold: a fresh browser context per load; warm: one context reloaded. Times from the navigation's start; medians over the loads unless p95 is named. Product: ${result.productId}.`,
    '',
    '| Page | Loads | FCP median / p95 (ms) | LCP median / p95 (ms) | LCP element | Content whole median / p95 (ms) | GraphQL sent before LCP: time to first bytes | GraphQL requests | JavaScript files: KiB |',
    '|---|---:|---:|---:|---|---:|---:|---:|---|',
    ...rows,
    ...(result.leftLoopback.length > 0 ? ['', `Requests beyond loopback (stopped): ${result.leftLoopback.join(', ')}`] : []),
  ].join('\n');
}

/** The storefront built for production and its pages loaded in Chromium through a fresh (c) gateway, as production runs it. */
export async function runStorefrontPages(session: BenchSession): Promise<StorefrontPagesResult> {
  const { config } = session;
  log('starting the storefront pages: the storefront built for production, loaded in Chromium through a fresh (c) gateway');
  const behind = await session.ensureSubgraphs();
  const began = performance.now();
  const graphqlUrl = `http://127.0.0.1:${session.gatewayPorts.greencart}/graphql`;
  const built = await buildStorefront(graphqlUrl);
  const storefront = await serveBuiltApp(built.folder);
  try {
    // As production runs it: the storefront's origin let in by CORS, and only persisted documents (the storefront's among them).
    const front = await session.started(
      session.ourGateway(behind, session.gatewayPorts.greencart, config.gatewayWorkers, session.subgraphUrlsOf(behind), { corsOrigins: [storefront.origin], safelist: true }),
    );
    try {
      const result = await measureStorefrontPages(storefront.origin, graphqlUrl, { productId: session.fixture.data.productIds[0]!, loads: config.pageLoads, buildSeconds: built.seconds, log });
      log(`the storefront pages took ${((performance.now() - began) / 1000).toFixed(0)} s, its build included`);
      return result;
    } finally {
      await session.stop(front);
    }
  } finally {
    await storefront.close();
    await built.remove();
  }
}
