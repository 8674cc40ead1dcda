// `npm run bench` (issue #8): seeds the benchmark data set on an embedded PostgreSQL of its own,
// starts each target in its own process, and drives it with autocannon: a warm-up, then RUNS runs
// at full speed (medians of RPS, p50, p99), then one run at half of that peak with a fixed overall
// rate (p50, p99 there). Also: SQL statements and subgraph calls per operation, peak RSS, and
// placeOrder (M1) at a fixed rate with a check that no stock was oversold. Q4, a product page with its
// recommendations and what was bought together (orders' contribution to Product), runs through (c) and (d) only.
// M2 (target `orders`): placeOrder at full speed through (c), every order buying one hot product,
// against orders spread over 1,000 products; then the same on products' StockService alone; every
// unit accounted for. Results also in results/m2.{json,md}; a run of M2 alone writes only those.
// S1 (target `subscriptions`): 1,000 productUpdated subscribers on our gateway while stock changes
// are committed at a steady rate: delivery latency, events lost, gateway RSS per subscription,
// and Q1/Q2 throughput with and without them.
// Q5 (target `deferred`): the contract's ProductPage through (c) with and without @defer, orders
// answering 50 ms late: time to the first part and to the last (deferred-page.ts); results/q5.{json,md},
// or <BENCH_RESULTS_NAME>-q5.{json,md}.
// Storefront pages (target `pages`, issue 25): the storefront built for production and loaded in
// headless Chromium against a fresh (c) gateway (CORS for its origin, production's safelist), the
// catalogue and a product's page, cold and warm: FCP and LCP median and p95, with the GraphQL
// requests answered before LCP and the JavaScript loaded (storefront-pages.ts); results/pages.{json,md} (or <name>-pages.*).
// I1 (target `images`, issue 26): product images through a fresh (c) gateway from the bench's
// products process, originals uploaded through the API first: 20 thumbnails warm at full speed, the
// first request of fresh sizes cold, and products' RSS while 50 originals are resized at once
// against its resize limit (product-images.ts); results/i1.{json,md} (or <name>-i1.*). `pages` runs before `images`,
// so the catalogue it loads has no pictures whether or not I1 ran. Both are opt-in (BENCH_TARGETS):
// each takes longer than the ~90 s a default run can spare (BENCHMARKS.md's introduction).
// Results: printed, and written to scripts/bench/results/latest.{json,md,svg}; S1 also to
// results/s1.{json,md}, and a run of S1 alone writes only those.
// The services run as production runs them, compiled: the bench builds them first (tsc -b), with
// its own process harness (targets.ts) beside them in scripts/bench/dist/. Only (b), whose monolith
// imports the subgraphs' TypeScript modules by path, runs its TypeScript through tsx. Under Q1 (c),
// the services' (gateway and every subgraph) peak RSS is recorded from /proc.
// BENCH_TRACING=1: GreenCart's processes export traces (OTLP over HTTP) to a sink in this process
// that reads and drops them, so that a run shows what tracing costs.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, setPriority, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { exportPKCS8, generateKeyPair } from 'jose';
import postgres from 'postgres';
import { buildUserTokenKeySet, callingServices, createUserTokenIssuer, databaseUrl, generateServiceKey, nodeFlagsOf, repositoryRoot } from '@greencart/platform';
import { measureDeferredPage, startDelayingProxy } from './deferred-page.js';
import { deferredPageMarkdown, Q5_ORDERS_DELAY_MS, type DeferredPageResult } from './deferred-page-report.js';
import { measureProductImages, productImagesMarkdown, type ProductImagesResult } from './product-images.js';
import { buildStorefront, measureStorefrontPages, serveBuiltApp, storefrontPagesMarkdown, type StorefrontPagesResult } from './storefront-pages.js';
import {
  BENCH_DATABASES,
  DATABASE_NAMES,
  freePort,
  median,
  perDatabase,
  percentile,
  sampleRss,
  startBenchPostgres,
  startSpanSink,
  subgraphsTheBenchLacks,
  TOKEN_SETTINGS,
  type DatabaseName,
  type RssPeaks,
} from './common.js';
import { DATA_SET, seedBenchmark, type BenchData } from './seed.js';
import { prepareProductsDatabase, readProductsEnvironment, StockService } from '@greencart/products';
import type { BenchServiceKeys, SubgraphName, TargetName, TargetSettings } from './targets.js';
import { renderChart } from './chart.js';
import { formatRps, formatShare, mib, peakShare, THROUGHPUT_TARGETS } from './report-figures.js';
import type { DeliveryResult, LiveSubscribersSettings } from './live-subscribers.js';

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const config = {
  warmupSeconds: number('BENCH_WARMUP_SECONDS', 5),
  durationSeconds: number('BENCH_DURATION_SECONDS', 10),
  runs: number('BENCH_RUNS', 3),
  connections: number('BENCH_CONNECTIONS', 16),
  /** Requests sent one by one to count statements and subgraph calls per operation. */
  samples: number('BENCH_SAMPLES', 50),
  /** placeOrder (M1) requests per second, and for how long. */
  placeOrderRate: number('BENCH_PLACE_ORDER_RATE', 20),
  placeOrderSeconds: number('BENCH_PLACE_ORDER_SECONDS', 10),
  targets: (process.env.BENCH_TARGETS ?? 'limit,monolith,greencart,hive,orders,subscriptions,deferred').split(',').map((name) => name.trim()) as BenchTargetName[],
  /** The reads each compared target runs (a quick check of one needs no other). */
  reads: (process.env.BENCH_OPERATIONS ?? 'Q1,Q2,Q3,Q4').split(',').map((name) => name.trim()) as OperationName[],
  /** Processes of each gateway, (c) and (d) alike, sharing its port. */
  gatewayWorkers: number('BENCH_GATEWAY_WORKERS', 1),
  /** The comparison's result files: results/<name>.{json,md,svg}, so a run can leave the files BENCHMARKS.md cites as they are. */
  resultsName: process.env.BENCH_RESULTS_NAME ?? 'latest',
  /** S1: open subscribers (one connection each), stock changes a second, for how long. */
  s1Subscribers: number('BENCH_S1_SUBSCRIBERS', 1_000),
  s1ChangeRate: number('BENCH_S1_CHANGE_RATE', 20),
  s1Seconds: number('BENCH_S1_SECONDS', 30),
  /** S1: `own` gives the subscribers a gateway process of their own (a WebSocket pool), `shared` the one the queries use. */
  s1LiveGateway: (process.env.BENCH_S1_LIVE_GATEWAY ?? 'shared') as 'shared' | 'own',
  /** GreenCart's processes (gateway and subgraphs) export traces, to a sink that drops them. */
  tracing: process.env.BENCH_TRACING === '1' || process.env.BENCH_TRACING === 'true',
  /** I1: sizes asked for the first time in the cold phase. */
  i1ColdSizes: number('BENCH_I1_COLD_SIZES', 120),
  /** Storefront pages: loads of each page, cold and warm each. */
  pageLoads: number('BENCH_PAGE_LOADS', 20),
};
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------- operations

const GRAPHQL = {
  Q1: `query BenchOrder($id: ID!) { order(id: $id) { id number items { id quantity product { id name price { amount currencyCode } stock category { id name } } } } }`,
  Q2: `query BenchProducts($category: ID!) { products(first: 50, filter: { categoryId: $category }) { nodes { id name price { amount currencyCode } stock category { id name } } } }`,
  Q3: `query BenchMyOrders { me { orders(first: 10) { nodes { items { product { name } } } } } }`,
  Q4: `query BenchProductPage($id: ID!) { product(id: $id) { id name description price { amount currencyCode } stock category { id name } recommendations { id name price { amount currencyCode } inStock } boughtTogether(first: 5) { id name price { amount currencyCode } inStock } } }`,
  M1: `mutation BenchPlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } userErrors { code message } } }`,
};
type OperationName = keyof typeof GRAPHQL;
const READS: OperationName[] = ['Q1', 'Q2', 'Q3', 'Q4'];
for (const read of config.reads) if (!READS.includes(read)) throw new Error(`BENCH_OPERATIONS: ${read} is not one of ${READS.join(', ')}`);
if (!/^[\w.-]+$/.test(config.resultsName)) throw new Error(`BENCH_RESULTS_NAME: "${config.resultsName}" must be a file name (letters, digits, ., - and _)`);
/** Q4 (a product page with what orders learned was bought together) is a federation question: (c) and (d) only. */
const answers = (target: TargetName, operation: OperationName) => operation !== 'Q4' || SUBGRAPHS_BEHIND.includes(target);
/** Targets that run last, each on a fresh (c) gateway of its own: M2 (`orders`), S1 (`subscriptions`), Q5 (`deferred`), the storefront's pages (`pages`) and I1 (`images`). */
const OWN_GATEWAY_TARGETS = ['orders', 'subscriptions', 'deferred', 'pages', 'images'] as const;
type BenchTargetName = TargetName | (typeof OWN_GATEWAY_TARGETS)[number];
const runsOnItsOwnGateway = (name: BenchTargetName): name is (typeof OWN_GATEWAY_TARGETS)[number] => (OWN_GATEWAY_TARGETS as readonly string[]).includes(name);

interface Fixture {
  data: BenchData;
  tokens: Map<string, string>;
  hotProductIds: string[];
}

/** One randomised request of `operation` for `target`: method, path, headers, body. */
function requestFor(target: TargetName, operation: OperationName, fixture: Fixture): autocannon.Request {
  const { data, tokens } = fixture;
  if (target === 'limit') {
    if (operation === 'Q1') {
      const order = data.orders[randomInt(data.orders.length)]!;
      return { method: 'GET', path: `/q1?order=${order.id}&customer=${order.customerId}` };
    }
    if (operation === 'Q2') return { method: 'GET', path: `/q2?category=${data.categoryIds[randomInt(data.categoryIds.length)]}` };
    if (operation === 'Q3') return { method: 'GET', path: `/q3?customer=${data.customerIds[randomInt(data.customerIds.length)]}` };
    throw new Error(`the limit server does not answer ${operation}`);
  }
  let customerId = data.customerIds[randomInt(data.customerIds.length)]!;
  let variables: Record<string, unknown> = {};
  if (operation === 'Q1') {
    const order = data.orders[randomInt(data.orders.length)]!;
    customerId = order.customerId;
    variables = { id: order.id };
  } else if (operation === 'Q2') {
    variables = { category: data.categoryIds[randomInt(data.categoryIds.length)] };
  } else if (operation === 'Q4') {
    variables = { id: data.productIds[randomInt(data.productIds.length)] };
  } else if (operation === 'M1') {
    // Four products from the whole catalogue and one from a few scarce ones, which sell out.
    const productIds = new Set([fixture.hotProductIds[randomInt(fixture.hotProductIds.length)]!]);
    while (productIds.size < 5) productIds.add(data.productIds[randomInt(data.productIds.length)]!);
    variables = { input: { idempotencyKey: `bench-m1-${target}-${randomUUID()}`, items: [...productIds].map((productId) => ({ productId, quantity: 1 })) } };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(customerId)}` };
  // Q2 and Q4 are public: sent without a token, as a shop's catalogue and product pages would.
  if (operation === 'Q2' || operation === 'Q4') delete headers.authorization;
  return { method: 'POST', path: '/graphql', headers, body: JSON.stringify({ query: GRAPHQL[operation], variables }) };
}

// ---------------------------------------------------------------- targets

/** One process of targets.ts, answering run.ts over IPC. */
interface BenchProcess {
  url: string;
  /** Its /metrics, on its metrics port (GreenCart's processes). */
  metricsUrl?: string;
  child: ChildProcess;
  request<T>(message: { type: string }): Promise<T>;
  stop(): Promise<void>;
}

const roleOf = (settings: TargetSettings) => (settings.role === 'subgraph' ? settings.subgraph : settings.role);

/** The services (`npm run build`'s tsc projects) and targets.ts compiled into scripts/bench/dist/; tsc -b skips what is up to date. */
function buildTargets(): void {
  log('building the services and the benchmark processes (tsc -b)');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', fileURLToPath(new URL('./tsconfig.build.json', import.meta.url))], { cwd: repositoryRoot, stdio: 'inherit' });
}

/**
 * The compiled targets.js, which imports the services' compiled modules (no tsx in the process);
 * for the monolith, targets.ts through tsx with the workspaces' TypeScript sources.
 */
const targetEntry = (settings: TargetSettings) =>
  settings.role === 'monolith'
    ? { script: fileURLToPath(new URL('./targets.ts', import.meta.url)), execArgv: ['--conditions=@greencart/source', '--import', 'tsx'] }
    : { script: fileURLToPath(new URL('./dist/targets.js', import.meta.url)), execArgv: [] };

/** The node flags a service runs with everywhere (its heap budget): the service manifest's. */
function productionNodeFlags(settings: TargetSettings): string[] {
  const service = settings.role === 'subgraph' ? settings.subgraph : settings.role === 'greencart' ? 'gateway' : undefined;
  return service ? [...nodeFlagsOf(service)] : [];
}

async function startProcess(settings: TargetSettings, nodeOptions: string[] = []): Promise<BenchProcess> {
  const entry = targetEntry(settings);
  const child = fork(entry.script, [], {
    execArgv: [...entry.execArgv, ...productionNodeFlags(settings), ...nodeOptions],
    env: { ...process.env, NODE_ENV: 'production', BENCH_TARGET: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { url, metricsUrl } = await new Promise<{ url: string; metricsUrl?: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${roleOf(settings)} exited (${code}) before it was ready`)));
    child.on('message', (message: { type: string; url?: string; metricsUrl?: string; error?: string }) => {
      if (message.type === 'ready') resolve({ url: message.url!, metricsUrl: message.metricsUrl });
      if (message.type === 'failed') reject(new Error(`${roleOf(settings)} failed: ${message.error}`));
    });
  });
  return {
    url,
    metricsUrl,
    child,
    request: <T>(message: { type: string }) =>
      new Promise<T>((resolve) => {
        const listener = (answer: { type: string }) => {
          if (answer.type !== message.type) return;
          child.off('message', listener);
          resolve(answer as T);
        };
        child.on('message', listener);
        child.send(message);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

interface Stats {
  statements: Record<DatabaseName, number>;
  /** The statements since the last reset (the first 100, each cut to 300 characters), by database. */
  recent: { database: DatabaseName; statement: string }[];
  maxRssBytes: number;
}

/**
 * What one target is to the measurements: the URL clients call, and every process whose SQL
 * counts: the target's own, and for (c) and (d) the subgraph processes behind it.
 */
interface Target {
  name: TargetName;
  url: string;
  front: BenchProcess;
  subgraphs?: Record<SubgraphName, BenchProcess>;
  /** The subgraphs behind were started for this target (no gateway has warmed them yet). */
  freshSubgraphs?: boolean;
}

const processesOf = (target: Target) => [target.front, ...Object.values(target.subgraphs ?? {})];

async function resetCounts(target: Target): Promise<void> {
  await Promise.all(processesOf(target).map((part) => part.request({ type: 'reset' })));
}

/** SQL statements since the last reset, over every database and process of the target. */
async function countedStatements(target: Target): Promise<Pick<Stats, 'statements' | 'recent'>> {
  const stats = await Promise.all(processesOf(target).map((part) => part.request<Stats>({ type: 'stats' })));
  const statements = perDatabase((name) => stats.reduce((sum, part) => sum + part.statements[name], 0));
  return { statements, recent: stats.flatMap((part) => part.recent) };
}

const totalOf = (statements: Record<DatabaseName, number>) => DATABASE_NAMES.reduce((sum, name) => sum + statements[name], 0);
/** Statements per request, by database and in all, from counts over `requests` requests. */
function statementsPer(statements: Record<DatabaseName, number>, requests: number): Record<DatabaseName, number> & { total: number } {
  const per = (value: number) => Math.round((value / Math.max(1, requests)) * 100) / 100;
  return { ...perDatabase((name) => per(statements[name])), total: per(totalOf(statements)) };
}

/**
 * Requests each subgraph has answered so far, and how many were `_entities` calls, from their
 * Prometheus counters: counted where they arrive, the same for every gateway in front.
 */
async function subgraphRequests(target: Target): Promise<{ calls: Record<string, number>; entityCalls: number } | undefined> {
  if (!target.subgraphs) return undefined;
  const calls: Record<string, number> = {};
  let entityCalls = 0;
  for (const [name, part] of Object.entries(target.subgraphs)) {
    const text = await (await fetch(part.metricsUrl!)).text();
    calls[name] = [...text.matchAll(/^greencart_graphql_requests_total\{[^}]*\} (\d+(?:\.\d+)?)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    entityCalls += Number(/^greencart_entity_fetches_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(text)?.[1] ?? 0);
  }
  return { calls, entityCalls };
}

async function send(url: string, request: autocannon.Request): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}${request.path}`, { method: request.method, headers: request.headers as Record<string, string>, body: request.body as string | undefined });
  return { status: response.status, body: await response.text() };
}

// ---------------------------------------------------------------- load

const settle = () => new Promise((resolve) => setTimeout(resolve, 3_000));

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  graphqlErrors: number;
  /** Answers with a non-empty userErrors list (placeOrder refused, e.g. out of stock). */
  userErrors: number;
  /** Requests sent. */
  sent: number;
  /** With `succeeded`: answers it accepted, and answers counted in all (autocannon's, within the run). */
  succeeded?: number;
  answered?: number;
}

async function load(
  url: string,
  makeRequest: () => autocannon.Request,
  options: { seconds: number; connections: number; overallRate?: number; succeeded?: (body: string) => boolean },
): Promise<LoadResult> {
  let graphqlErrors = 0;
  let userErrors = 0;
  let succeeded = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    overallRate: options.overallRate,
    requests: [
      {
        setupRequest: (request) => ({ ...request, ...makeRequest() }),
        onResponse: (_status, body) => {
          if (body.includes('"errors"')) graphqlErrors++;
          if (body.includes('"userErrors":[{')) userErrors++;
          if (options.succeeded?.(body)) succeeded++;
        },
      },
    ],
  });
  const counted = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    graphqlErrors,
    userErrors,
    sent: result.requests.sent,
  };
  return options.succeeded ? { ...counted, succeeded, answered: result.requests.total } : counted;
}

/**
 * An open-loop load at `rate` requests a second, evenly spaced: each request leaves at its
 * scheduled time whether or not earlier ones have been answered, and its latency counts from that
 * scheduled time (so a stalled server is not excused by sending less). autocannon's overallRate
 * sends each connection's quota at the start of every second, back to back, which measures a
 * burst of full concurrency rather than a steady half load; both are reported.
 */
async function paced(url: string, makeRequest: () => autocannon.Request, options: { rate: number; seconds: number }): Promise<{ p50: number; p99: number; sent: number; failed: number }> {
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const request = makeRequest();
    inFlight.push(
      send(url, request).then(
        (answer) => {
          if (answer.status !== 200 || answer.body.includes('"errors"')) failed++;
          latencies.push(performance.now() - due);
        },
        () => {
          failed++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  const at = (fraction: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(fraction * latencies.length))] ?? NaN) * 10) / 10;
  return { p50: at(0.5), p99: at(0.99), sent: total, failed };
}

export interface OperationResult {
  target: TargetName;
  operation: OperationName;
  runs: LoadResult[];
  peak: { rps: number; p50: number; p99: number };
  halfPeak: LoadResult & { rate: number };
  /** The same half of peak, evenly spaced (see paced()). */
  halfPeakPaced: { rate: number; p50: number; p99: number; sent: number; failed: number };
  statementsPerOperation: Record<DatabaseName, number> & { total: number };
  /** (c), (d): requests each subgraph answered per operation, and how many were `_entities` calls. */
  subgraphCallsPerOperation?: Record<string, number>;
  entityCallsPerOperation?: number;
  /** Q1 only: SQL statements per request for orders of 1, 20 and 100 lines (five orders each). */
  statementsByLineCount?: Record<number, number>;
  /** What one request sent to the databases, to see where statements come from. */
  exampleStatements: Stats['recent'];
}

async function measure(target: Target, operation: OperationName, fixture: Fixture): Promise<OperationResult> {
  const { name } = target;
  const makeRequest = () => requestFor(name, operation, fixture);
  // A correct answer first: a benchmark of errors measures nothing.
  const probe = await send(target.url, makeRequest());
  if (probe.status !== 200 || probe.body.includes('"errors"') || probe.body.includes('"data":null')) throw new Error(`${name} ${operation}: ${probe.status} ${probe.body.slice(0, 500)}`);

  // Subgraph processes just started (behind the first of (c) and (d)) warm up twice as long, so
  // that the gateway measured second does not find them warmer than the first one did.
  const warmup = config.warmupSeconds * (target.freshSubgraphs ? 2 : 1);
  log(`${name} ${operation}: warm-up ${warmup} s`);
  await load(target.url, makeRequest, { seconds: warmup, connections: config.connections });
  // autocannon returns with requests still in flight: let them finish before counting.
  await settle();

  // Statements (every database) and subgraph calls per operation, one request at a time.
  await resetCounts(target);
  const callsBefore = await subgraphRequests(target);
  for (let i = 0; i < config.samples; i++) await send(target.url, makeRequest());
  const { statements } = await countedStatements(target);
  const perOperation = (value: number) => Math.round((value / config.samples) * 100) / 100;
  const statementsPerOperation = statementsPer(statements, config.samples);
  let subgraphCallsPerOperation: Record<string, number> | undefined;
  let entityCallsPerOperation: number | undefined;
  const callsAfter = await subgraphRequests(target);
  if (callsBefore && callsAfter) {
    subgraphCallsPerOperation = Object.fromEntries(Object.entries(callsAfter.calls).map(([subgraph, count]) => [subgraph, perOperation(count - (callsBefore.calls[subgraph] ?? 0))]));
    entityCallsPerOperation = perOperation(callsAfter.entityCalls - callsBefore.entityCalls);
  }

  let statementsByLineCount: Record<number, number> | undefined;
  if (operation === 'Q1') {
    statementsByLineCount = {};
    const byLines: Record<number, { id: string; customerId: string }[]> = { ...fixture.data.ordersByLineCount, 20: fixture.data.orders.slice(0, 5) };
    for (const [lines, orders] of Object.entries(byLines)) {
      await resetCounts(target);
      for (const order of orders) {
        const request = requestFor(name, 'Q1', { ...fixture, data: { ...fixture.data, orders: [order] } });
        const answer = await send(target.url, request);
        if (!answer.body.includes(`"items":[`)) throw new Error(`${name} Q1 of ${lines} lines: ${answer.body.slice(0, 300)}`);
      }
      const counted = (await countedStatements(target)).statements;
      statementsByLineCount[Number(lines)] = totalOf(counted) / orders.length;
    }
    log(`${name} Q1: SQL statements per request by line count: ${JSON.stringify(statementsByLineCount)}`);
  }

  await resetCounts(target);
  await send(target.url, makeRequest());
  const exampleStatements = (await countedStatements(target)).recent;

  const runs: LoadResult[] = [];
  for (let run = 1; run <= config.runs; run++) {
    const result = await load(target.url, makeRequest, { seconds: config.durationSeconds, connections: config.connections });
    log(`${name} ${operation}: run ${run}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, non-2xx ${result.non2xx}, GraphQL errors ${result.graphqlErrors}`);
    runs.push(result);
  }
  const peak = { rps: median(runs.map((run) => run.rps)), p50: median(runs.map((run) => run.p50)), p99: median(runs.map((run) => run.p99)) };
  const rate = Math.max(1, Math.floor(peak.rps / 2));
  const half = await load(target.url, makeRequest, { seconds: config.durationSeconds, connections: config.connections, overallRate: rate });
  log(`${name} ${operation}: at half of peak (${rate} req/s, autocannon overallRate): p50 ${half.p50} ms, p99 ${half.p99} ms`);
  const evenly = await paced(target.url, makeRequest, { rate, seconds: config.durationSeconds });
  log(`${name} ${operation}: at half of peak (${rate} req/s, evenly spaced): p50 ${evenly.p50} ms, p99 ${evenly.p99} ms, failed ${evenly.failed}`);
  return {
    target: name,
    operation,
    runs,
    peak,
    halfPeak: { ...half, rate },
    halfPeakPaced: { rate, ...evenly },
    statementsPerOperation,
    subgraphCallsPerOperation,
    entityCallsPerOperation,
    statementsByLineCount,
    exampleStatements,
  };
}

// ---------------------------------------------------------------- M1: placeOrder at a fixed rate

export interface PlaceOrderResult {
  target: TargetName;
  rate: number;
  seconds: number;
  load: LoadResult;
  placed: number;
  outOfStockOrOtherUserErrors: number;
  statementsPerOperation: Record<DatabaseName, number> & { total: number };
  stockCheck: { negativeStock: number; productsWhoseStockDoesNotAddUp: number; unitsTaken: number; unitsInPlacedOrders: number; oversold: boolean };
}

async function placeOrders(target: Target, fixture: Fixture, serverUrl: string): Promise<PlaceOrderResult> {
  const { name } = target;
  // Units held by live reservations, per product: the stock taken must match what this run adds.
  const reservedUnits = async (sql: postgres.Sql) =>
    new Map(
      (
        await sql`
        select p.id, p.stock, coalesce(sum(l.quantity) filter (where r.status = 'RESERVED'), 0)::int as reserved
        from products p left join stock_reservation_lines l on l.product_id = p.id left join stock_reservations r on r.id = l.reservation_id
        group by p.id, p.stock`
      ).map((row) => [row.id as string, { stock: row.stock as number, reserved: row.reserved as number }]),
    );
  const products = postgres(databaseUrl(serverUrl, BENCH_DATABASES.products), { max: 1, onnotice: () => {} });
  const orders = postgres(databaseUrl(serverUrl, BENCH_DATABASES.orders), { max: 1, onnotice: () => {} });
  try {
    // The scarce products: a few units each, so that concurrent orders compete for the last ones.
    await products`update products set stock = 10 where id = any(${fixture.hotProductIds}::uuid[])`;
    const before = await reservedUnits(products);
    await resetCounts(target);
    log(`${name} M1: placeOrder at ${config.placeOrderRate} req/s for ${config.placeOrderSeconds} s`);
    const result = await load(target.url, () => requestFor(name, 'M1', fixture), {
      seconds: config.placeOrderSeconds,
      connections: Math.max(config.connections, config.placeOrderRate),
      overallRate: config.placeOrderRate,
    });
    // Requests still in flight when autocannon stops finish before the stock is checked.
    await settle();
    const { statements } = await countedStatements(target);
    const after = await reservedUnits(products);
    let negativeStock = 0;
    let mismatched = 0;
    let unitsTaken = 0;
    for (const [id, now] of after) {
      const then = before.get(id)!;
      const taken = then.stock - now.stock;
      unitsTaken += taken;
      if (now.stock < 0) negativeStock++;
      if (taken !== now.reserved - then.reserved) mismatched++;
    }
    const [placed] = await orders`
      select count(distinct o.id)::int as orders, coalesce(sum(i.quantity), 0)::int as units
      from orders o join order_items i on i.order_id = o.id
      where o.idempotency_key like ${`bench-m1-${name}-%`} and o.status = 'PENDING_PAYMENT'`;
    const stockCheck = {
      negativeStock,
      productsWhoseStockDoesNotAddUp: mismatched,
      unitsTaken,
      unitsInPlacedOrders: placed!.units as number,
      oversold: negativeStock > 0 || mismatched > 0 || unitsTaken !== (placed!.units as number),
    };
    log(`${name} M1: ${placed!.orders} orders placed, ${result.graphqlErrors} GraphQL errors; stock check: ${JSON.stringify(stockCheck)}`);
    return {
      target: name,
      rate: config.placeOrderRate,
      seconds: config.placeOrderSeconds,
      load: result,
      placed: placed!.orders as number,
      outOfStockOrOtherUserErrors: result.userErrors,
      // Per placeOrder request, placed or refused (out of stock).
      statementsPerOperation: statementsPer(statements, result.sent),
      stockCheck,
    };
  } finally {
    await Promise.all([products.end({ timeout: 5 }), orders.end({ timeout: 5 })]);
  }
}

// ---------------------------------------------------------------- M2: one hot product against many

const M2_CASES = ['hot', 'spread'] as const;
type HotProductCase = (typeof M2_CASES)[number];
/** The hot product's stock before M2: far more than any run sells, so that no order is refused. */
const M2_HOT_STOCK = 10_000_000;
/** Products the spread case picks from (their seeded stock, 100,000 each, is ample). */
const M2_SPREAD_PRODUCTS = 1_000;
/** Every M2 order is one line of this many units, in both cases, so that they do the same work. */
const M2_QUANTITY = 1;
/** How often pg_stat_activity is read for backends waiting on a lock while a load runs. */
const M2_LOCK_SAMPLE_MS = 50;

/** The products each case buys: one hot product (not M1's scarce ones nor S1's), or 1,000 others. */
function hotProductCases(data: BenchData): Record<HotProductCase, string[]> {
  return { hot: [data.productIds[20]!], spread: data.productIds.slice(1_000, 1_000 + M2_SPREAD_PRODUCTS) };
}

/** One placeOrder of one line from a random customer, with an idempotency key of its own. */
function hotProductRequest(fixture: Fixture, name: HotProductCase, productIds: string[]): autocannon.Request {
  const customerId = fixture.data.customerIds[randomInt(fixture.data.customerIds.length)]!;
  const productId = productIds[randomInt(productIds.length)]!;
  const variables = { input: { idempotencyKey: `bench-m2-${name}-${randomUUID()}`, items: [{ productId, quantity: M2_QUANTITY }] } };
  return {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.tokens.get(customerId)}` },
    body: JSON.stringify({ query: GRAPHQL.M1, variables }),
  };
}

/** An answer that placed an order: no GraphQL error and an empty userErrors list. */
const placedAnOrder = (body: string) => body.includes('"userErrors":[]') && !body.includes('"errors"');

/** Backends waiting on a lock (means per sample): on a products row, on an advisory lock in products, on the commit-time NOTIFY lock (any database). */
export interface LockWaits {
  samples: number;
  productRow: number;
  productsAdvisory: number;
  commitNotify: number;
  other: number;
}

/** Reads pg_stat_activity every M2_LOCK_SAMPLE_MS until stopped. */
function sampleLockWaits(sql: postgres.Sql): { stop(): Promise<LockWaits> } {
  const sums = { samples: 0, productRow: 0, productsAdvisory: 0, commitNotify: 0, other: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql`select datname, wait_event, count(*)::int as waiting from pg_stat_activity where wait_event_type = 'Lock' group by datname, wait_event`;
      sums.samples++;
      for (const row of rows) {
        const waiting = row.waiting as number;
        const inProducts = row.datname === BENCH_DATABASES.products;
        // A row lock is waited for on the holder's transaction id (or the tuple, by those queued behind);
        // NOTIFY's lock at commit is on "database 0", an object lock.
        if (inProducts && (row.wait_event === 'transactionid' || row.wait_event === 'tuple')) sums.productRow += waiting;
        else if (inProducts && row.wait_event === 'advisory') sums.productsAdvisory += waiting;
        else if (row.wait_event === 'object') sums.commitNotify += waiting;
        else sums.other += waiting;
      }
      await new Promise((resolve) => setTimeout(resolve, M2_LOCK_SAMPLE_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const mean = (value: number) => Math.round((value / Math.max(1, sums.samples)) * 100) / 100;
      return { samples: sums.samples, productRow: mean(sums.productRow), productsAdvisory: mean(sums.productsAdvisory), commitNotify: mean(sums.commitNotify), other: mean(sums.other) };
    },
  };
}

/** One run of one case through the gateway. */
export interface HotProductRun {
  load: LoadResult;
  /** Answers that placed an order, per second: autocannon's answers per second × the share that placed one. */
  ordersPerSecond: number;
  statementsPerRequest: Record<DatabaseName, number> & { total: number };
  lockWaits: LockWaits;
}

/** One run of one case on the stock service alone (products' own code on its database, no HTTP). */
export interface StockServiceRun {
  reservationsPerSecond: number;
  p50: number;
  p99: number;
  reserved: number;
  refused: number;
  failed: number;
  statementsPerReservation: number;
  lockWaits: LockWaits;
}

export interface HotProductCaseResult {
  /** How many products the case buys from. */
  products: number;
  runs: HotProductRun[];
  /** Medians of the runs. */
  ordersPerSecond: number;
  p50: number;
  p99: number;
  /** Over all runs: answers autocannon counted within them, and of those the ones that placed an order. */
  answered: number;
  placed: number;
  userErrors: number;
  graphqlErrors: number;
  non2xx: number;
  socketErrors: number;
  alone: { runs: StockServiceRun[]; reservationsPerSecond: number; p50: number; p99: number };
  /** Over all of M2 (warm-ups included): per product, stock before − after = units in placed orders + units the stock service alone reserved = units held by live reservations; none below zero. */
  stockCheck: {
    ordersPlaced: number;
    unitsInPlacedOrders: number;
    unitsReservedAlone: number;
    unitsTaken: number;
    productsWhoseStockDoesNotAddUp: number;
    negativeStock: number;
    claimsLeft: number;
    addsUp: boolean;
  };
}

export interface HotProductResult {
  hotProductId: string;
  hotProductStock: number;
  spreadProducts: number;
  quantity: number;
  connections: number;
  customers: number;
  cases: Record<HotProductCase, HotProductCaseResult>;
  /** hot / spread, orders per second through the gateway, and reservations per second alone. */
  ratio: number;
  aloneRatio: number;
  /** The machine's 1, 5 and 15 minute load averages when M2 began and ended (it may be shared). */
  loadAverage: { before: number[]; after: number[] };
  targets: { hotKeepsHalf: boolean; nothingOversold: boolean };
}

/** `concurrency` callers reserving one unit each, back to back, for `seconds`, straight on products' StockService. */
async function reserveBackToBack(stock: StockService, productIds: string[], options: { seconds: number; concurrency: number; reservedUnits: Map<string, number> }) {
  const latencies: number[] = [];
  let reserved = 0;
  let refused = 0;
  let failed = 0;
  const started = performance.now();
  const end = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < end) {
        const productId = productIds[randomInt(productIds.length)]!;
        const sent = performance.now();
        try {
          const answer = await stock.reserve(randomUUID(), [{ productId, quantity: M2_QUANTITY }]);
          latencies.push(performance.now() - sent);
          if (!answer.reserved) refused++;
          else {
            reserved++;
            options.reservedUnits.set(productId, (options.reservedUnits.get(productId) ?? 0) + M2_QUANTITY);
          }
        } catch {
          failed++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { reservationsPerSecond: Math.round(reserved / ((performance.now() - started) / 1000)), p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), reserved, refused, failed };
}

/**
 * M2 on (c): placeOrder at full speed from 1,000 customers, every order one unit of one hot
 * product, against one unit of one of 1,000 products; warm-ups, then the runs of the two cases
 * interleaved (so that a drifting shared machine weighs on both alike). Then the same two cases
 * on products' StockService alone, for what the products database itself sustains. Every unit is
 * accounted for at the end.
 */
async function measureHotProduct(target: Target, fixture: Fixture, serverUrl: string): Promise<HotProductResult> {
  const productsOf = hotProductCases(fixture.data);
  const touched = [...productsOf.hot, ...productsOf.spread];
  const monitor = postgres(databaseUrl(serverUrl, BENCH_DATABASES.products), { max: 1, onnotice: () => {} });
  const products = postgres(databaseUrl(serverUrl, BENCH_DATABASES.products), { max: 1, onnotice: () => {} });
  const orders = postgres(databaseUrl(serverUrl, BENCH_DATABASES.orders), { max: 1, onnotice: () => {} });
  let aloneStatements = 0;
  const alone = await prepareProductsDatabase({ serverUrl, name: BENCH_DATABASES.products, onStatement: () => aloneStatements++ });
  // Stock and units held by live reservations, for the products M2 touches.
  const stockOf = async () =>
    new Map(
      (
        await products`
        select p.id, p.stock, coalesce(sum(l.quantity) filter (where r.status = 'RESERVED'), 0)::int as reserved
        from products p left join stock_reservation_lines l on l.product_id = p.id left join stock_reservations r on r.id = l.reservation_id
        where p.id = any(${touched}::uuid[]) group by p.id, p.stock`
      ).map((row) => [row.id as string, { stock: row.stock as number, reserved: row.reserved as number }]),
    );
  const loadBefore = loadavg();
  try {
    await products`update products set stock = ${M2_HOT_STOCK} where id = ${productsOf.hot[0]!}::uuid`;
    const before = await stockOf();
    const makeRequest = (name: HotProductCase) => () => hotProductRequest(fixture, name, productsOf[name]);

    for (const [index, name] of M2_CASES.entries()) {
      const probe = await send(target.url, makeRequest(name)());
      if (probe.status !== 200 || !placedAnOrder(probe.body)) throw new Error(`M2 ${name}: ${probe.status} ${probe.body.slice(0, 500)}`);
      const warmup = config.warmupSeconds * (target.freshSubgraphs && index === 0 ? 2 : 1);
      log(`M2 ${name}: warm-up ${warmup} s`);
      await load(target.url, makeRequest(name), { seconds: warmup, connections: config.connections });
      await settle();
    }
    const runs: Record<HotProductCase, HotProductRun[]> = { hot: [], spread: [] };
    for (let run = 1; run <= config.runs; run++) {
      // hot first in odd runs, spread first in even ones.
      for (const name of run % 2 ? M2_CASES : [...M2_CASES].reverse()) {
        await resetCounts(target);
        const sampler = sampleLockWaits(monitor);
        const result = await load(target.url, makeRequest(name), { seconds: config.durationSeconds, connections: config.connections, succeeded: placedAnOrder });
        const lockWaits = await sampler.stop();
        await settle();
        const { statements } = await countedStatements(target);
        const ordersPerSecond = Math.round(result.rps * (result.succeeded! / Math.max(1, result.answered!)) * 10) / 10;
        runs[name].push({
          load: result,
          ordersPerSecond,
          statementsPerRequest: statementsPer(statements, result.sent),
          lockWaits,
        });
        log(
          `M2 ${name}: run ${run}: ${ordersPerSecond} orders/s (${result.succeeded} of ${result.answered} answers), p50 ${result.p50} ms, p99 ${result.p99} ms, user errors ${result.userErrors}, GraphQL errors ${result.graphqlErrors}, non-2xx ${result.non2xx}; waiting on the row ${lockWaits.productRow}, on the commit lock ${lockWaits.commitNotify}`,
        );
      }
    }

    // The same two cases on products' own StockService and one pool like a products process's (10 connections).
    const stock = new StockService(alone.db);
    const reservedAlone = new Map<string, number>();
    for (const name of M2_CASES) {
      log(`M2 ${name}, stock service alone: warm-up ${config.warmupSeconds} s`);
      await reserveBackToBack(stock, productsOf[name], { seconds: config.warmupSeconds, concurrency: config.connections, reservedUnits: reservedAlone });
    }
    const aloneRuns: Record<HotProductCase, StockServiceRun[]> = { hot: [], spread: [] };
    for (let run = 1; run <= config.runs; run++) {
      for (const name of run % 2 ? M2_CASES : [...M2_CASES].reverse()) {
        aloneStatements = 0;
        const sampler = sampleLockWaits(monitor);
        const result = await reserveBackToBack(stock, productsOf[name], { seconds: config.durationSeconds, concurrency: config.connections, reservedUnits: reservedAlone });
        const lockWaits = await sampler.stop();
        const statementsPerReservation = Math.round((aloneStatements / Math.max(1, result.reserved + result.refused + result.failed)) * 100) / 100;
        aloneRuns[name].push({ ...result, statementsPerReservation, lockWaits });
        log(
          `M2 ${name}, stock service alone: run ${run}: ${result.reservationsPerSecond} reservations/s, p50 ${result.p50} ms, p99 ${result.p99} ms, refused ${result.refused}, failed ${result.failed}; waiting on the row ${lockWaits.productRow}, on the commit lock ${lockWaits.commitNotify}`,
        );
      }
    }

    const after = await stockOf();
    const [claims] = await orders`select count(*)::int as left from orders where idempotency_key like 'bench-m2-%' and status = 'PLACING'`;
    const cases = {} as Record<HotProductCase, HotProductCaseResult>;
    for (const name of M2_CASES) {
      const inOrders = new Map(
        (
          await orders`
          select i.product_id, sum(i.quantity)::int as units from orders o join order_items i on i.order_id = o.id
          where o.idempotency_key like ${`bench-m2-${name}-%`} and o.status = 'PENDING_PAYMENT' group by i.product_id`
        ).map((row) => [row.product_id as string, row.units as number]),
      );
      const [placed] = await orders`select count(*)::int as orders from orders where idempotency_key like ${`bench-m2-${name}-%`} and status = 'PENDING_PAYMENT'`;
      let unitsTaken = 0;
      let unitsInPlacedOrders = 0;
      let unitsReservedAlone = 0;
      let mismatched = 0;
      let negativeStock = 0;
      for (const id of productsOf[name]) {
        const then = before.get(id)!;
        const now = after.get(id)!;
        const taken = then.stock - now.stock;
        const expected = (inOrders.get(id) ?? 0) + (reservedAlone.get(id) ?? 0);
        unitsTaken += taken;
        unitsInPlacedOrders += inOrders.get(id) ?? 0;
        unitsReservedAlone += reservedAlone.get(id) ?? 0;
        if (now.stock < 0) negativeStock++;
        if (taken !== expected || now.reserved - then.reserved !== taken) mismatched++;
      }
      const loads = runs[name].map((run) => run.load);
      const sum = (pick: (result: LoadResult) => number) => loads.reduce((total, result) => total + pick(result), 0);
      cases[name] = {
        products: productsOf[name].length,
        runs: runs[name],
        ordersPerSecond: median(runs[name].map((run) => run.ordersPerSecond)),
        p50: median(loads.map((result) => result.p50)),
        p99: median(loads.map((result) => result.p99)),
        answered: sum((result) => result.answered ?? 0),
        placed: sum((result) => result.succeeded ?? 0),
        userErrors: sum((result) => result.userErrors),
        graphqlErrors: sum((result) => result.graphqlErrors),
        non2xx: sum((result) => result.non2xx),
        socketErrors: sum((result) => result.errors),
        alone: {
          runs: aloneRuns[name],
          reservationsPerSecond: median(aloneRuns[name].map((run) => run.reservationsPerSecond)),
          p50: median(aloneRuns[name].map((run) => run.p50)),
          p99: median(aloneRuns[name].map((run) => run.p99)),
        },
        stockCheck: {
          ordersPlaced: placed!.orders as number,
          unitsInPlacedOrders,
          unitsReservedAlone,
          unitsTaken,
          productsWhoseStockDoesNotAddUp: mismatched,
          negativeStock,
          claimsLeft: claims!.left as number,
          addsUp: mismatched === 0 && negativeStock === 0 && (claims!.left as number) === 0,
        },
      };
      log(`M2 ${name}: stock check: ${JSON.stringify(cases[name].stockCheck)}`);
    }
    const ratio = Math.round((cases.hot.ordersPerSecond / Math.max(1e-9, cases.spread.ordersPerSecond)) * 1000) / 1000;
    const aloneRatio = Math.round((cases.hot.alone.reservationsPerSecond / Math.max(1e-9, cases.spread.alone.reservationsPerSecond)) * 1000) / 1000;
    return {
      hotProductId: productsOf.hot[0]!,
      hotProductStock: M2_HOT_STOCK,
      spreadProducts: M2_SPREAD_PRODUCTS,
      quantity: M2_QUANTITY,
      connections: config.connections,
      customers: fixture.data.customerIds.length,
      cases,
      ratio,
      aloneRatio,
      loadAverage: { before: loadBefore, after: loadavg() },
      targets: { hotKeepsHalf: ratio >= 0.5, nothingOversold: cases.hot.stockCheck.addsUp && cases.spread.stockCheck.addsUp },
    };
  } finally {
    await Promise.all([monitor.end({ timeout: 5 }), products.end({ timeout: 5 }), orders.end({ timeout: 5 }), alone.close()]);
  }
}

/** M2's figures and targets as markdown. */
export function hotProductMarkdown(m2: HotProductResult): string {
  const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const { hot, spread } = m2.cases;
  const runsOf = (result: HotProductCaseResult) => result.runs.map((run) => run.ordersPerSecond).join(', ');
  const mean = (values: number[]) => Math.round((values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length)) * 100) / 100;
  const gatewayRow = (name: HotProductCase, result: HotProductCaseResult) => {
    const statements = result.runs.map((run) => run.statementsPerRequest);
    return `| ${name} | ${result.products} | **${result.ordersPerSecond}** (${runsOf(result)}) | ${result.p50} / ${result.p99} | ${result.placed} / ${result.answered} | ${result.userErrors} | ${result.graphqlErrors} | ${result.non2xx} / ${result.socketErrors} | ${median(statements.map((s) => s.products))} / ${median(statements.map((s) => s.total))} | ${mean(result.runs.map((run) => run.lockWaits.productRow))} / ${mean(result.runs.map((run) => run.lockWaits.commitNotify))} |`;
  };
  const aloneRow = (name: HotProductCase, result: HotProductCaseResult) =>
    `| ${name} | ${result.alone.reservationsPerSecond} (${result.alone.runs.map((run) => run.reservationsPerSecond).join(', ')}) | ${result.alone.p50} / ${result.alone.p99} | ${result.alone.runs.reduce((sum, run) => sum + run.refused, 0)} / ${result.alone.runs.reduce((sum, run) => sum + run.failed, 0)} | ${median(result.alone.runs.map((run) => run.statementsPerReservation))} | ${mean(result.alone.runs.map((run) => run.lockWaits.productRow))} / ${mean(result.alone.runs.map((run) => run.lockWaits.commitNotify))} |`;
  const check = (name: HotProductCase, result: HotProductCaseResult) => {
    const c = result.stockCheck;
    return `${name}: ${c.unitsTaken} units taken = ${c.unitsInPlacedOrders} in ${c.ordersPlaced} placed orders + ${c.unitsReservedAlone} reserved alone${c.addsUp ? '' : ` (**${c.productsWhoseStockDoesNotAddUp} products do not add up, ${c.negativeStock} below zero, ${c.claimsLeft} claims left**)`}`;
  };
  return [
    `M2: placeOrder through (c) at full speed (${m2.connections} connections), each request from one of ${m2.customers} customers with an idempotency key of its own, one line of ${m2.quantity} unit; **hot**: every order buys the same product (stock set to ${m2.hotProductStock.toLocaleString('en')}), **spread**: one of ${m2.spreadProducts.toLocaleString('en')} products at random. Runs of the two cases interleaved; orders/s is the median (each run in brackets).`,
    '',
    '| M2 case (c) | Products | Orders/s | p50 / p99 (ms) | Placed / answered | User errors | GraphQL errors | non-2xx / socket errors | SQL / placeOrder (products / all) | Waiting on the product row / on the commit NOTIFY lock (backends, mean) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    gatewayRow('hot', hot),
    gatewayRow('spread', spread),
    '',
    `| M2 on products' StockService alone (${m2.connections} callers, a pool of 10, no HTTP) | Reservations/s | p50 / p99 (ms) | Refused / failed | SQL / reservation | Waiting on the row / on the commit NOTIFY lock |`,
    '|---|---:|---:|---:|---:|---:|',
    aloneRow('hot', hot),
    aloneRow('spread', spread),
    '',
    `Load average (1 min) ${m2.loadAverage.before[0]!.toFixed(1)} when M2 began, ${m2.loadAverage.after[0]!.toFixed(1)} when it ended, on ${cpus().length} cores.`,
    '',
    '| M2 target | Result |',
    '|---|---|',
    `| Hot keeps ≥ 50% of spread's orders per second | ${met(m2.targets.hotKeepsHalf)}: ${hot.ordersPerSecond} / ${spread.ordersPerSecond} = ${(m2.ratio * 100).toFixed(0)}% (stock service alone: ${(m2.aloneRatio * 100).toFixed(0)}%) |`,
    `| Nothing oversold (per product: stock taken = units in placed orders, none below zero) | ${met(m2.targets.nothingOversold)}: ${check('hot', hot)}; ${check('spread', spread)} |`,
  ].join('\n');
}

// ---------------------------------------------------------------- S1: live updates

/** The client's own persisted ProductUpdated document (client/persisted-documents.json), as a browser sends it. */
function productUpdatedDocument(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../client/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
  const document = Object.values(manifest).find((text) => text.startsWith('subscription ProductUpdated('));
  if (!document) throw new Error('client/persisted-documents.json holds no ProductUpdated subscription');
  return document;
}

interface GatewayGauges {
  rssBytes: number;
  heapUsedBytes: number;
  productSubscriptions: number;
  /** process_cpu_seconds_total: user and system CPU the gateway process has spent so far. */
  cpuSeconds: number;
}

/** The gateway process's own figures from its /metrics: RSS, heap in use, open productUpdated subscriptions. */
async function gatewayGauges(metricsUrl: string): Promise<GatewayGauges> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    rssBytes: value(/^process_resident_memory_bytes(?:\{[^}]*\})? (\S+)/m),
    heapUsedBytes: value(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m),
    productSubscriptions: value(/^greencart_subscriptions_active\{[^}]*field="productUpdated"[^}]*\} (\S+)/m),
    cpuSeconds: value(/^process_cpu_seconds_total(?:\{[^}]*\})? (\S+)/m),
  };
}

/** The S1 client process (live-subscribers.ts): subscribers and the stock writer, driven over IPC. */
async function startLiveSubscribers(settings: LiveSubscribersSettings): Promise<{ request<T>(message: Record<string, unknown> & { type: string }): Promise<T>; stop(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./live-subscribers.ts', import.meta.url)), [], {
    execArgv: ['--conditions=@greencart/source', '--import', 'tsx'],
    env: { ...process.env, BENCH_S1: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // The subscribers stand for browsers on other machines: on this one they yield the CPU to the
  // processes measured (nice 10, still enough to keep up with every event and answer every ping).
  setPriority(child.pid!, S1_SUBSCRIBERS_NICENESS);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the S1 subscribers exited (${code}) before they were ready`)));
    child.once('message', () => resolve());
  });
  return {
    request: <T>(message: Record<string, unknown> & { type: string }) =>
      new Promise<T>((resolve, reject) => {
        const listener = (answer: { type: string; error?: string }) => {
          if (answer.type !== message.type && answer.type !== 'failed') return;
          child.off('message', listener);
          if (answer.type === 'failed') reject(new Error(`S1 subscribers: ${answer.error}`));
          else resolve(answer as T);
        };
        child.on('message', listener);
        child.send(message);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

const S1_HOT_PRODUCTS = 20;
const S1_SUBSCRIBERS_NICENESS = 10;
const S1_MAX_IDS_PER_SUBSCRIBER = 5;
const S1_DRAIN_SECONDS = 5;
const S1_THROUGHPUT_OPERATIONS = ['Q1', 'Q2'] as const;

export interface LiveUpdatesResult {
  subscribers: number;
  /** One subscription per WebSocket connection, as a browser tab holds. */
  connections: number;
  /** `own`: the subscribers held their sockets on a second gateway process, the queries went to the first. */
  liveGateway: 'shared' | 'own';
  hotProducts: number;
  maxIdsPerSubscriber: number;
  document: string;
  openSeconds: number;
  openFailed: number;
  changeRate: number;
  /** The changes alone, for s1Seconds. */
  quiet: DeliveryResult;
  /** The same rate of changes while Q1 and Q2 run at full speed against the same gateway. */
  underLoad: DeliveryResult;
  gateway: { before: GatewayGauges; open: GatewayGauges; afterChanges: GatewayGauges; rssPerSubscriptionBytes: number; heapPerSubscriptionBytes: number };
  /** CPU spent over the changes alone (with their drain), by the gateway and by the subscribers' process, in all and per delivery. */
  fanOutCpu: { gatewayMs: number; clientMs: number; gatewayMicrosecondsPerDelivery: number; clientMicrosecondsPerDelivery: number };
  /** `ratio` is with / without (before the subscribers opened); `withoutAgain` is a third run after they closed, to see drift. */
  throughput: Record<(typeof S1_THROUGHPUT_OPERATIONS)[number], { without: LoadResult; with: LoadResult; withoutAgain: LoadResult; ratio: number }>;
  targets: { noEventLost: boolean; p99Under250Ms: boolean; under64KiBPerSubscription: boolean; throughputWithin10Percent: boolean };
}

/**
 * S1 on a fresh (c) gateway: Q1 and Q2 without subscribers; then 1,000 productUpdated subscribers
 * (one connection each, 1 to 5 of 20 hot products each); RSS before and after they open; stock
 * changes at a steady rate alone, then again while Q1 and Q2 run as before.
 */
/** `live`: the gateway process the subscribers hold their sockets on, the queries' own or one of its own. */
async function measureLiveUpdates(target: Target, fixture: Fixture, serverUrl: string, live: BenchProcess = target.front): Promise<LiveUpdatesResult> {
  const { url } = target;
  const makeRequest = (operation: OperationName) => () => requestFor('greencart', operation, fixture);
  for (const operation of S1_THROUGHPUT_OPERATIONS) {
    const probe = await send(url, makeRequest(operation)());
    if (probe.status !== 200 || probe.body.includes('"errors"')) throw new Error(`S1 ${operation}: ${probe.status} ${probe.body.slice(0, 500)}`);
    const warmup = config.warmupSeconds * (target.freshSubgraphs ? 2 : 1);
    log(`S1 ${operation}: warm-up ${warmup} s`);
    await load(url, makeRequest(operation), { seconds: warmup, connections: config.connections });
    await settle();
  }
  const without: Partial<Record<(typeof S1_THROUGHPUT_OPERATIONS)[number], LoadResult>> = {};
  for (const operation of S1_THROUGHPUT_OPERATIONS) {
    without[operation] = await load(url, makeRequest(operation), { seconds: config.durationSeconds, connections: config.connections });
    log(`S1 ${operation} without subscribers: ${without[operation]!.rps.toFixed(0)} req/s, p99 ${without[operation]!.p99} ms`);
    await settle();
  }

  const collectedGauges = async () => {
    await live.request({ type: 'gc' });
    return gatewayGauges(live.metricsUrl!);
  };
  const before = await collectedGauges();
  const document = productUpdatedDocument();
  const clients = await startLiveSubscribers({
    gatewayUrl: `${live.url.replace(/^http/, 'ws')}/graphql`,
    productsDatabaseUrl: databaseUrl(serverUrl, BENCH_DATABASES.products),
    productIds: fixture.data.productIds.slice(100, 100 + S1_HOT_PRODUCTS),
    subscribers: config.s1Subscribers,
    maxIdsPerSubscriber: S1_MAX_IDS_PER_SUBSCRIBER,
    document,
    operationName: 'ProductUpdated',
  });
  try {
    const opened = await clients.request<{ seconds: number; failed: number }>({ type: 'open' });
    // The protocol acknowledges no subscription: the gateway's gauge says when all are watching.
    const deadline = Date.now() + 60_000;
    while ((await gatewayGauges(live.metricsUrl!)).productSubscriptions < config.s1Subscribers - opened.failed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    await settle();
    const open = await collectedGauges();
    log(`S1: ${open.productSubscriptions} subscriptions open in ${opened.seconds} s (${opened.failed} failed); gateway RSS ${mib(before.rssBytes)} → ${mib(open.rssBytes)} MiB`);

    log(`S1: ${config.s1ChangeRate} stock changes a second for ${config.s1Seconds} s`);
    const gatewayCpuBefore = (await gatewayGauges(live.metricsUrl!)).cpuSeconds;
    const quiet = (await clients.request<{ result: DeliveryResult }>({ type: 'changes', rate: config.s1ChangeRate, seconds: config.s1Seconds, drainSeconds: S1_DRAIN_SECONDS })).result;
    const gatewayCpuMs = Math.round(((await gatewayGauges(live.metricsUrl!)).cpuSeconds - gatewayCpuBefore) * 1000);
    const fanOutCpu = {
      gatewayMs: gatewayCpuMs,
      clientMs: quiet.clientCpuMs,
      gatewayMicrosecondsPerDelivery: Math.round((gatewayCpuMs * 1000) / Math.max(1, quiet.delivered)),
      clientMicrosecondsPerDelivery: Math.round((quiet.clientCpuMs * 1000) / Math.max(1, quiet.delivered)),
    };
    log(`S1 deliveries: ${JSON.stringify(quiet)}`);
    log(`S1 CPU over the changes alone: ${JSON.stringify(fanOutCpu)}`);

    // The changes keep flowing over both loads, from a second before the first to after the last.
    const flowing = clients.request<{ result: DeliveryResult }>({
      type: 'changes',
      rate: config.s1ChangeRate,
      seconds: config.durationSeconds * S1_THROUGHPUT_OPERATIONS.length + 4,
      drainSeconds: S1_DRAIN_SECONDS,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const withSubscribers: Partial<Record<(typeof S1_THROUGHPUT_OPERATIONS)[number], LoadResult>> = {};
    for (const operation of S1_THROUGHPUT_OPERATIONS) {
      withSubscribers[operation] = await load(url, makeRequest(operation), { seconds: config.durationSeconds, connections: config.connections });
      log(`S1 ${operation} with subscribers: ${withSubscribers[operation]!.rps.toFixed(0)} req/s, p99 ${withSubscribers[operation]!.p99} ms`);
    }
    const underLoad = (await flowing).result;
    log(`S1 deliveries under Q1/Q2 load: ${JSON.stringify(underLoad)}`);
    const afterChanges = await collectedGauges();
    await clients.request({ type: 'close' });
    // Once more without: the machine is shared, so a drift between before and after shows here.
    await settle();
    const withoutAgain: Partial<Record<(typeof S1_THROUGHPUT_OPERATIONS)[number], LoadResult>> = {};
    for (const operation of S1_THROUGHPUT_OPERATIONS) {
      withoutAgain[operation] = await load(url, makeRequest(operation), { seconds: config.durationSeconds, connections: config.connections });
      log(`S1 ${operation} after the subscribers closed: ${withoutAgain[operation]!.rps.toFixed(0)} req/s, p99 ${withoutAgain[operation]!.p99} ms`);
    }

    const throughput = Object.fromEntries(
      S1_THROUGHPUT_OPERATIONS.map((operation) => [
        operation,
        {
          without: without[operation]!,
          with: withSubscribers[operation]!,
          withoutAgain: withoutAgain[operation]!,
          ratio: Math.round((withSubscribers[operation]!.rps / without[operation]!.rps) * 1000) / 1000,
        },
      ]),
    ) as LiveUpdatesResult['throughput'];
    const subscriptions = Math.max(1, open.productSubscriptions);
    const rssPerSubscriptionBytes = Math.round((open.rssBytes - before.rssBytes) / subscriptions);
    return {
      subscribers: config.s1Subscribers,
      connections: config.s1Subscribers,
      liveGateway: live === target.front ? 'shared' : 'own',
      hotProducts: S1_HOT_PRODUCTS,
      maxIdsPerSubscriber: S1_MAX_IDS_PER_SUBSCRIBER,
      document,
      openSeconds: opened.seconds,
      openFailed: opened.failed,
      changeRate: config.s1ChangeRate,
      quiet,
      underLoad,
      gateway: { before, open, afterChanges, rssPerSubscriptionBytes, heapPerSubscriptionBytes: Math.round((open.heapUsedBytes - before.heapUsedBytes) / subscriptions) },
      fanOutCpu,
      throughput,
      targets: {
        noEventLost:
          opened.failed === 0 && quiet.lost + quiet.duplicates + quiet.unexpected + quiet.errors === 0 && underLoad.lost + underLoad.duplicates + underLoad.unexpected + underLoad.errors === 0,
        p99Under250Ms: quiet.latency.p99 < 250,
        under64KiBPerSubscription: rssPerSubscriptionBytes < 64 * 1024,
        throughputWithin10Percent: Object.values(throughput).every((pair) => pair.ratio >= 0.9),
      },
    };
  } finally {
    await clients.stop();
  }
}

/** S1's figures and targets as markdown. */
export function liveUpdatesMarkdown(s1: LiveUpdatesResult): string {
  const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const delivery = (label: string, result: DeliveryResult) =>
    `| ${label} | ${result.changes} at ${result.achievedRate}/s | ${result.expected} | ${result.delivered} | ${result.lost} | ${result.duplicates} | ${result.unexpected} / ${result.errors} | ${result.latency.p50} / ${result.latency.p99} / ${result.latency.max} | ${result.commit.p50} | ${result.clientEventLoopDelay.p99} |`;
  const { gateway, throughput, targets } = s1;
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  return [
    `S1: ${s1.subscribers} productUpdated subscribers on ${s1.liveGateway === 'own' ? 'a (c) gateway process of their own (the queries on another)' : 'one (c) gateway process'}, one WebSocket connection each (${s1.openFailed} failed to open, opened in ${s1.openSeconds} s), each watching 1–${s1.maxIdsPerSubscriber} of ${s1.hotProducts} hot products; stock changes committed round-robin on those products.`,
    '',
    '| S1 phase | Changes | Deliveries expected | Delivered | Lost | Duplicates | Unexpected / errors | Latency p50 / p99 / max (ms) | Commit p50 (ms) | Client event-loop p99 (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    delivery('changes alone', s1.quiet),
    delivery('changes during Q1/Q2 at full speed', s1.underLoad),
    '',
    '| S1 gateway | RSS (MiB) | Heap used (MiB) | Open subscriptions |',
    '|---|---:|---:|---:|',
    `| before subscribers | ${mib(gateway.before.rssBytes)} | ${mib(gateway.before.heapUsedBytes)} | ${gateway.before.productSubscriptions} |`,
    `| subscribers open | ${mib(gateway.open.rssBytes)} | ${mib(gateway.open.heapUsedBytes)} | ${gateway.open.productSubscriptions} |`,
    `| after the changes | ${mib(gateway.afterChanges.rssBytes)} | ${mib(gateway.afterChanges.heapUsedBytes)} | ${gateway.afterChanges.productSubscriptions} |`,
    `| per open subscription | ${kib(gateway.rssPerSubscriptionBytes)} KiB | ${kib(gateway.heapPerSubscriptionBytes)} KiB | |`,
    '',
    `CPU over the changes alone: the gateway ${s1.fanOutCpu.gatewayMs} ms (${s1.fanOutCpu.gatewayMicrosecondsPerDelivery} µs per delivery), the subscribers' process ${s1.fanOutCpu.clientMs} ms (${s1.fanOutCpu.clientMicrosecondsPerDelivery} µs per delivery).`,
    '',
    '| S1 throughput (c) | RPS without subscribers | RPS with subscribers and changes | Ratio | RPS after they closed | p99 without / with / after (ms) |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(throughput).map(
      ([operation, pair]) =>
        `| ${operation} | ${pair.without.rps.toFixed(0)} | ${pair.with.rps.toFixed(0)} | ${(pair.ratio * 100).toFixed(0)}% | ${pair.withoutAgain.rps.toFixed(0)} | ${pair.without.p99} / ${pair.with.p99} / ${pair.withoutAgain.p99} |`,
    ),
    '',
    '| S1 target | Result |',
    '|---|---|',
    `| No event lost (nor duplicated) | ${met(targets.noEventLost)}: ${s1.quiet.lost + s1.underLoad.lost} lost, ${s1.quiet.duplicates + s1.underLoad.duplicates} duplicated of ${s1.quiet.expected + s1.underLoad.expected} |`,
    `| Delivery p99 under 250 ms (changes alone) | ${met(targets.p99Under250Ms)}: ${s1.quiet.latency.p99} ms (during Q1/Q2 at full speed: ${s1.underLoad.latency.p99} ms) |`,
    `| Under 64 KiB of gateway RSS per open subscription | ${met(targets.under64KiBPerSubscription)}: ${kib(gateway.rssPerSubscriptionBytes)} KiB |`,
    `| Q1/Q2 with the subscribers open within 10% of without | ${met(targets.throughputWithin10Percent)}: ${Object.entries(throughput)
      .map(([operation, pair]) => `${operation} ${(pair.ratio * 100).toFixed(0)}%`)
      .join(', ')} |`,
  ].join('\n');
}

// ---------------------------------------------------------------- report

export interface BenchReport {
  startedAt: string;
  config: typeof config;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  dataSet: typeof DATA_SET;
  operations: OperationResult[];
  /** Peak RSS of each target's own processes (a gateway's workers together), and of the subgraph processes (c) and (d) share. */
  peakRssBytes: Partial<Record<TargetName | 'subgraphs', number>>;
  /** The services' (our gateway and every subgraph) resident memory while Q1 runs through (c). */
  servicesRssUnderQ1?: RssPeaks;
  placeOrders: PlaceOrderResult[];
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
}

export const TARGET_LABELS: Record<TargetName, string> = {
  limit: '(a) limit: node:http + postgres.js',
  monolith: '(b) monolith: one @apollo/server',
  greencart: '(c) GreenCart gateway',
  hive: '(d) Hive Gateway + router-runtime',
};
const SUBGRAPHS_BEHIND: readonly TargetName[] = ['greencart', 'hive'];

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

/** The process ids of the services behind a (c) target: its gateway and every subgraph. */
function servicePids(target: Target): Record<string, number> {
  const pids: Record<string, number> = { gateway: target.front.child.pid! };
  for (const [name, part] of Object.entries(target.subgraphs ?? {})) pids[name] = part.child.pid!;
  return pids;
}

/** The services' peak RSS together, then each one's. */
const servicesRssLine = (rss: RssPeaks) =>
  `the ${Object.keys(rss.peakBytes).length} services' peak RSS together ${mib(rss.sumOfPeaksBytes)} MiB (${Object.entries(rss.peakBytes)
    .map(([name, bytes]) => `${name} ${mib(bytes)}`)
    .join(', ')}; at most ${mib(rss.peakOfSumBytes)} MiB at one moment)`;

/** The service keys of every service that calls another (the manifest's callers), made once per run; each process takes its own from them. */
async function newServiceKeys(): Promise<BenchServiceKeys> {
  return Object.fromEntries(await Promise.all(callingServices().map(async (service) => [service, await generateServiceKey()] as const)));
}

/**
 * The subgraph processes behind (c) and (d), started once, each after those it calls: accounts
 * first (the others fetch its keys), then products, orders (calls products), reviews (calls both).
 */
async function startSubgraphProcesses(
  serverUrl: string,
  privateKeyPem: string,
  serviceKeys: BenchServiceKeys,
  gatewayUrl: string,
  imageResizeConcurrency: number,
): Promise<Record<SubgraphName, BenchProcess>> {
  const common = { role: 'subgraph' as const, serverUrl, serviceKeys, privateKeyPem, gatewayUrl };
  const accounts = await startProcess({ ...common, subgraph: 'accounts' });
  const products = await startProcess({ ...common, subgraph: 'products', accountsUrl: accounts.url, imageResizeConcurrency });
  const orders = await startProcess({ ...common, subgraph: 'orders', accountsUrl: accounts.url, productsUrl: products.url });
  const reviews = await startProcess({ ...common, subgraph: 'reviews', accountsUrl: accounts.url, productsUrl: products.url, ordersUrl: orders.url });
  return { accounts, products, orders, reviews };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  log(`config: ${JSON.stringify(config)}`);
  for (const name of config.targets)
    if (!runsOnItsOwnGateway(name) && !(name in TARGET_LABELS)) throw new Error(`unknown target ${name} (${[...Object.keys(TARGET_LABELS), ...OWN_GATEWAY_TARGETS].join(', ')})`);
  const lacking = subgraphsTheBenchLacks();
  if (lacking.length > 0)
    throw new Error(
      `supergraph.yaml names ${lacking.join(', ')}, which the bench does not start: add ${lacking.length === 1 ? 'it' : 'them'} to scripts/bench (BENCH_DATABASES, targets.ts, monolith.ts, seed.ts)`,
    );
  buildTargets();
  const database = await startBenchPostgres();
  // Every target process inherits the endpoint; only GreenCart's start tracing with it.
  const spanSink = config.tracing ? await startSpanSink() : undefined;
  if (spanSink) process.env.OTEL_EXPORTER_OTLP_ENDPOINT = spanSink.url;
  const running: BenchProcess[] = [];
  // Every process started is in `running` until stopped, so a failure stops what is left.
  const started = async (settings: TargetSettings, nodeOptions?: string[]) => {
    const child = await startProcess(settings, nodeOptions);
    running.push(child);
    return child;
  };
  const stop = async (child: BenchProcess) => {
    await child.stop();
    running.splice(running.indexOf(child), 1);
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
    // Products' resize limit as production reads it (IMAGE_RESIZE_CONCURRENCY, its default unset): the bench's products process runs with it and I1 reports it.
    const imageResizeConcurrency = readProductsEnvironment().IMAGE_RESIZE_CONCURRENCY;
    let subgraphs: Record<SubgraphName, BenchProcess> | undefined;
    const ensureSubgraphs = async (): Promise<Record<SubgraphName, BenchProcess>> => {
      if (!subgraphs) {
        subgraphs = await startSubgraphProcesses(database.url, privateKeyPem, serviceKeys, `http://127.0.0.1:${gatewayPorts.greencart}`, imageResizeConcurrency);
        running.push(...Object.values(subgraphs));
      }
      return subgraphs;
    };
    const subgraphUrlsOf = (started: Record<SubgraphName, BenchProcess>) => Object.fromEntries(Object.entries(started).map(([name, part]) => [name, part.url])) as Record<SubgraphName, string>;
    /** A fresh (c) gateway over the running subgraphs, for M2, S1, Q5, the storefront's pages and I1. */
    const ourGateway = (
      behind: Record<SubgraphName, BenchProcess>,
      port: number,
      workers: number,
      subgraphUrls = subgraphUrlsOf(behind),
      browserApp?: { corsOrigins: string[]; safelist: boolean },
    ): TargetSettings => ({
      role: 'greencart',
      serviceKeys,
      subgraphUrls,
      port,
      workers,
      ...browserApp,
    });

    const report: BenchReport = {
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
    for (const name of config.targets) {
      // M2, S1 and Q5 run last, each on a gateway of its own (below).
      if (runsOnItsOwnGateway(name)) continue;
      log(`starting ${name}`);
      let settings: TargetSettings;
      let fresh = false;
      if (name === 'limit') settings = { role: 'limit', serverUrl: database.url };
      else if (name === 'monolith') settings = { role: 'monolith', serverUrl: database.url, privateKeyPem };
      else {
        fresh = !subgraphs;
        settings = { role: name, serviceKeys, subgraphUrls: subgraphUrlsOf(await ensureSubgraphs()), port: gatewayPorts[name], workers: config.gatewayWorkers };
      }
      const front = await started(settings);
      const target: Target = { name, url: front.url, front, subgraphs: SUBGRAPHS_BEHIND.includes(name) ? subgraphs : undefined, freshSubgraphs: fresh };
      for (const operation of READS.filter((operation) => config.reads.includes(operation) && answers(name, operation))) {
        const sampler = name === 'greencart' && operation === 'Q1' ? sampleRss(servicePids(target)) : undefined;
        report.operations.push(await measure(target, operation, fixture));
        if (sampler) {
          report.servicesRssUnderQ1 = sampler.stop();
          log(`Q1 through (c): ${servicesRssLine(report.servicesRssUnderQ1)}`);
        }
      }
      if (name !== 'limit') report.placeOrders.push(await placeOrders(target, fixture, database.url));
      report.peakRssBytes[name] = (await front.request<Stats>({ type: 'stats' })).maxRssBytes;
      await stop(front);
    }
    if (config.targets.includes('orders')) {
      log('starting M2: one hot product against many, on a fresh (c) gateway');
      const fresh = !subgraphs;
      const behind = await ensureSubgraphs();
      const front = await started(ourGateway(behind, gatewayPorts.greencart, config.gatewayWorkers));
      report.hotProduct = await measureHotProduct({ name: 'greencart', url: front.url, front, subgraphs: behind, freshSubgraphs: fresh }, fixture, database.url);
      await stop(front);
    }
    if (config.targets.includes('subscriptions')) {
      log('starting S1: live updates on a fresh (c) gateway');
      const fresh = !subgraphs;
      const behind = await ensureSubgraphs();
      // One process whatever BENCH_GATEWAY_WORKERS says: S1 measures what one gateway process holds.
      // --expose-gc: memory is weighed after a full collection; BENCH_CPU_PROF_DIR: a CPU profile of the gateway, written when it stops.
      const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
      const front = await started(ourGateway(behind, gatewayPorts.greencart, 1), ['--expose-gc', ...profile]);
      const live = config.s1LiveGateway === 'own' ? await started(ourGateway(behind, await freePort(), 1), ['--expose-gc']) : front;
      report.liveUpdates = await measureLiveUpdates({ name: 'greencart', url: front.url, front, subgraphs: behind, freshSubgraphs: fresh }, fixture, database.url, live);
      for (const gateway of new Set([front, live])) await stop(gateway);
    }
    if (config.targets.includes('deferred')) {
      log(`starting Q5: ProductPage with and without @defer on a fresh (c) gateway, orders ${Q5_ORDERS_DELAY_MS} ms late`);
      const behind = await ensureSubgraphs();
      const slowOrders = await startDelayingProxy(behind.orders.url, Q5_ORDERS_DELAY_MS);
      const front = await started(ourGateway(behind, gatewayPorts.greencart, config.gatewayWorkers, { ...subgraphUrlsOf(behind), orders: slowOrders.url }));
      try {
        report.deferredPage = await measureDeferredPage(front.url, fixture.data.productIds.slice(0, 200), {
          connections: config.connections,
          seconds: config.durationSeconds,
          warmupSeconds: config.warmupSeconds,
          runs: config.runs,
          log,
        });
      } finally {
        await stop(front);
        await slowOrders.close();
      }
    }
    if (config.targets.includes('pages')) {
      log('starting the storefront pages: the storefront built for production, loaded in Chromium through a fresh (c) gateway');
      const behind = await ensureSubgraphs();
      const began = performance.now();
      const graphqlUrl = `http://127.0.0.1:${gatewayPorts.greencart}/graphql`;
      const built = await buildStorefront(graphqlUrl);
      const storefront = await serveBuiltApp(built.folder);
      try {
        // As production runs it: the storefront's origin let in by CORS, and only persisted documents (the storefront's among them).
        const front = await started(ourGateway(behind, gatewayPorts.greencart, config.gatewayWorkers, subgraphUrlsOf(behind), { corsOrigins: [storefront.origin], safelist: true }));
        try {
          report.storefrontPages = await measureStorefrontPages(storefront.origin, graphqlUrl, { productId: fixture.data.productIds[0]!, loads: config.pageLoads, buildSeconds: built.seconds, log });
          log(`the storefront pages took ${((performance.now() - began) / 1000).toFixed(0)} s, its build included`);
        } finally {
          await stop(front);
        }
      } finally {
        await storefront.close();
        await built.remove();
      }
    }
    if (config.targets.includes('images')) {
      log(`starting I1: product images on a fresh (c) gateway, products' resize limit ${imageResizeConcurrency}`);
      const behind = await ensureSubgraphs();
      const front = await started(ourGateway(behind, gatewayPorts.greencart, config.gatewayWorkers));
      const began = performance.now();
      try {
        const adminToken = await issuer.issue({ id: randomUUID(), role: 'ADMIN' });
        // Products from the end of the data set: not on the catalogue's first page, nor the hot products of M1.
        report.productImages = await measureProductImages(front.url, {
          adminToken,
          productIds: fixture.data.productIds.slice(-50),
          productsPid: behind.products.child.pid!,
          resizeConcurrency: imageResizeConcurrency,
          coldSizes: config.i1ColdSizes,
          connections: config.connections,
          seconds: config.durationSeconds,
          warmupSeconds: config.warmupSeconds,
          runs: config.runs,
          log,
        });
        log(`I1 took ${((performance.now() - began) / 1000).toFixed(0)} s`);
      } finally {
        await stop(front);
      }
    }
    if (subgraphs) {
      const rss = await Promise.all(Object.values(subgraphs).map((part) => part.request<Stats>({ type: 'stats' })));
      report.peakRssBytes.subgraphs = rss.reduce((sum, stats) => sum + stats.maxRssBytes, 0);
    }

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
    if (report.hotProduct) {
      const m2 = hotProductMarkdown(report.hotProduct);
      await writeFile(`${folder}m2.json`, `${JSON.stringify({ startedAt: report.startedAt, config, machine: report.machine, hotProduct: report.hotProduct }, null, 2)}\n`);
      await writeFile(`${folder}m2.md`, `${m2}\n`);
      if (report.operations.length === 0) process.stdout.write(`${m2}\n`);
    }
    if (report.deferredPage) {
      const q5 = deferredPageMarkdown(report.deferredPage);
      // q5.* for a run without a name; <name>-q5.* beside a named run's files, for BENCHMARKS.md to cite.
      const q5Name = config.resultsName === 'latest' ? 'q5' : `${config.resultsName}-q5`;
      await writeFile(`${folder}${q5Name}.json`, `${JSON.stringify({ startedAt: report.startedAt, config, machine: report.machine, deferredPage: report.deferredPage }, null, 2)}\n`);
      await writeFile(`${folder}${q5Name}.md`, `${q5}\n`);
      if (report.operations.length === 0) process.stdout.write(`${q5}\n`);
    }
    if (report.storefrontPages) {
      const pages = storefrontPagesMarkdown(report.storefrontPages);
      const pagesName = config.resultsName === 'latest' ? 'pages' : `${config.resultsName}-pages`;
      await writeFile(`${folder}${pagesName}.json`, `${JSON.stringify({ startedAt: report.startedAt, config, machine: report.machine, storefrontPages: report.storefrontPages }, null, 2)}\n`);
      await writeFile(`${folder}${pagesName}.md`, `${pages}\n`);
      if (report.operations.length === 0) process.stdout.write(`${pages}\n`);
    }
    if (report.productImages) {
      const i1 = productImagesMarkdown(report.productImages);
      const i1Name = config.resultsName === 'latest' ? 'i1' : `${config.resultsName}-i1`;
      await writeFile(`${folder}${i1Name}.json`, `${JSON.stringify({ startedAt: report.startedAt, config, machine: report.machine, productImages: report.productImages }, null, 2)}\n`);
      await writeFile(`${folder}${i1Name}.md`, `${i1}\n`);
      if (report.operations.length === 0) process.stdout.write(`${i1}\n`);
    }
    if (report.liveUpdates) {
      const s1 = liveUpdatesMarkdown(report.liveUpdates);
      await writeFile(`${folder}s1.json`, `${JSON.stringify({ startedAt: report.startedAt, config, machine: report.machine, liveUpdates: report.liveUpdates }, null, 2)}\n`);
      await writeFile(`${folder}s1.md`, `${s1}\n`);
      if (report.operations.length === 0) process.stdout.write(`${s1}\n`);
    }
    if (spanSink) log(`tracing: ${spanSink.received().exports} OTLP exports received (${(spanSink.received().bytes / 2 ** 20).toFixed(1)} MiB of spans)`);
    log(`done in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s; results in scripts/bench/results/`);
  } finally {
    for (const part of running) await part.stop();
    await spanSink?.stop();
    await database.stop();
  }
}

// Run as a script (npm run bench); imported, it only lends its report helpers.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
