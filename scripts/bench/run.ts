// `npm run bench` (issue #8): seeds the benchmark data set on an embedded PostgreSQL of its own,
// starts each target in its own process, and drives it with autocannon: a warm-up, then RUNS runs
// at full speed (medians of RPS, p50, p99), then one run at half of that peak with a fixed overall
// rate (p50, p99 there). Also: SQL statements and subgraph calls per operation, peak RSS, and
// placeOrder (M1) at a fixed rate with a check that no stock was oversold.
// Results: printed, and written to scripts/bench/results/latest.{json,md,svg}.
import { fork, type ChildProcess } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { exportPKCS8, generateKeyPair } from 'jose';
import postgres from 'postgres';
import { buildUserTokenKeySet, createUserTokenIssuer, databaseUrl } from '@greencart/platform';
import { BENCH_DATABASES, median, startBenchPostgres, TOKEN_SETTINGS, type DatabaseName } from './common.js';
import { DATA_SET, seedBenchmark, type BenchData } from './seed.js';
import type { TargetName, TargetSettings } from './targets.js';
import { renderChart } from './chart.js';

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const config = {
  warmupSeconds: number('BENCH_WARMUP_SECONDS', 3),
  durationSeconds: number('BENCH_DURATION_SECONDS', 10),
  runs: number('BENCH_RUNS', 3),
  connections: number('BENCH_CONNECTIONS', 16),
  /** Requests sent one by one to count statements and subgraph calls per operation. */
  samples: number('BENCH_SAMPLES', 50),
  /** placeOrder (M1) requests per second, and for how long. */
  placeOrderRate: number('BENCH_PLACE_ORDER_RATE', 20),
  placeOrderSeconds: number('BENCH_PLACE_ORDER_SECONDS', 10),
  targets: (process.env.BENCH_TARGETS ?? 'limit,greencart').split(',').map((name) => name.trim()) as TargetName[],
};
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------- operations

const GRAPHQL = {
  Q1: `query BenchOrder($id: ID!) { order(id: $id) { id number items { id quantity product { id name price { amount currencyCode } stock category { id name } } } } }`,
  Q2: `query BenchProducts($category: ID!) { products(first: 50, filter: { categoryId: $category }) { nodes { id name price { amount currencyCode } stock category { id name } } } }`,
  Q3: `query BenchMyOrders { me { orders(first: 10) { nodes { items { product { name } } } } } }`,
  M1: `mutation BenchPlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } userErrors { code message } } }`,
};
type OperationName = keyof typeof GRAPHQL;
const READS: OperationName[] = ['Q1', 'Q2', 'Q3'];

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
  } else if (operation === 'M1') {
    // Four products from the whole catalogue and one from a few scarce ones, which sell out.
    const productIds = new Set([fixture.hotProductIds[randomInt(fixture.hotProductIds.length)]!]);
    while (productIds.size < 5) productIds.add(data.productIds[randomInt(data.productIds.length)]!);
    variables = { input: { idempotencyKey: `bench-m1-${randomUUID()}`, items: [...productIds].map((productId) => ({ productId, quantity: 1 })) } };
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(customerId)}` };
  // Q2 is public: sent without a token, as a shop's catalogue page would.
  if (operation === 'Q2') delete headers.authorization;
  return { method: 'POST', path: '/graphql', headers, body: JSON.stringify({ query: GRAPHQL[operation], variables }) };
}

// ---------------------------------------------------------------- targets

interface RunningTarget {
  url: string;
  child: ChildProcess;
  request<T>(message: { type: string }): Promise<T>;
  stop(): Promise<void>;
}

async function startTarget(settings: TargetSettings): Promise<RunningTarget> {
  const child = fork(fileURLToPath(new URL('./targets.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_ENV: 'production', BENCH_TARGET: JSON.stringify(settings) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`target ${settings.target} exited (${code}) before it was ready`)));
    child.on('message', (message: { type: string; url?: string; error?: string }) => {
      if (message.type === 'ready') resolve(message.url!);
      if (message.type === 'failed') reject(new Error(`target ${settings.target} failed: ${message.error}`));
    });
  });
  return {
    url,
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

/** The gateway's calls to each subgraph so far (its Prometheus counter). */
async function subgraphCalls(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const calls: Record<string, number> = {};
  for (const match of text.matchAll(/^greencart_subgraph_requests_total\{[^}]*\bsubgraph="(\w+)"[^}]*\} (\d+(?:\.\d+)?)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
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
}

async function load(url: string, makeRequest: () => autocannon.Request, options: { seconds: number; connections: number; overallRate?: number }): Promise<LoadResult> {
  let graphqlErrors = 0;
  let userErrors = 0;
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
        },
      },
    ],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors, graphqlErrors, userErrors, sent: result.requests.sent };
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
  subgraphCallsPerOperation?: Record<string, number>;
  /** Q1 only: SQL statements per request for orders of 1, 20 and 100 lines (five orders each). */
  statementsByLineCount?: Record<number, number>;
  /** What one request sent to the databases, to see where statements come from. */
  exampleStatements: Stats['recent'];
}

async function measure(target: RunningTarget, name: TargetName, operation: OperationName, fixture: Fixture): Promise<OperationResult> {
  const makeRequest = () => requestFor(name, operation, fixture);
  // A correct answer first: a benchmark of errors measures nothing.
  const probe = await send(target.url, makeRequest());
  if (probe.status !== 200 || probe.body.includes('"errors"') || probe.body.includes('"data":null')) throw new Error(`${name} ${operation}: ${probe.status} ${probe.body.slice(0, 500)}`);

  log(`${name} ${operation}: warm-up ${config.warmupSeconds} s`);
  await load(target.url, makeRequest, { seconds: config.warmupSeconds, connections: config.connections });
  // autocannon returns with requests still in flight: let them finish before counting.
  await settle();

  // Statements (every database) and subgraph calls per operation, one request at a time.
  await target.request({ type: 'reset' });
  const callsBefore = name === 'greencart' ? await subgraphCalls(target.url) : undefined;
  for (let i = 0; i < config.samples; i++) await send(target.url, makeRequest());
  const { statements } = await target.request<Stats>({ type: 'stats' });
  const perOperation = (value: number) => Math.round((value / config.samples) * 100) / 100;
  const statementsPerOperation = {
    accounts: perOperation(statements.accounts),
    orders: perOperation(statements.orders),
    products: perOperation(statements.products),
    total: perOperation(statements.accounts + statements.orders + statements.products),
  };
  let subgraphCallsPerOperation: Record<string, number> | undefined;
  if (callsBefore) {
    const callsAfter = await subgraphCalls(target.url);
    subgraphCallsPerOperation = Object.fromEntries(Object.entries(callsAfter).map(([subgraph, count]) => [subgraph, perOperation(count - (callsBefore[subgraph] ?? 0))]));
  }

  let statementsByLineCount: Record<number, number> | undefined;
  if (operation === 'Q1') {
    statementsByLineCount = {};
    const byLines: Record<number, { id: string; customerId: string }[]> = { ...fixture.data.ordersByLineCount, 20: fixture.data.orders.slice(0, 5) };
    for (const [lines, orders] of Object.entries(byLines)) {
      await target.request({ type: 'reset' });
      for (const order of orders) {
        const request = requestFor(name, 'Q1', { ...fixture, data: { ...fixture.data, orders: [order] } });
        const answer = await send(target.url, request);
        if (!answer.body.includes(`"items":[`)) throw new Error(`${name} Q1 of ${lines} lines: ${answer.body.slice(0, 300)}`);
      }
      const counted = (await target.request<Stats>({ type: 'stats' })).statements;
      statementsByLineCount[Number(lines)] = (counted.accounts + counted.orders + counted.products) / orders.length;
    }
    log(`${name} Q1: SQL statements per request by line count: ${JSON.stringify(statementsByLineCount)}`);
  }

  await target.request({ type: 'reset' });
  await send(target.url, makeRequest());
  const exampleStatements = (await target.request<Stats>({ type: 'stats' })).recent;

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
  return { target: name, operation, runs, peak, halfPeak: { ...half, rate }, halfPeakPaced: { rate, ...evenly }, statementsPerOperation, subgraphCallsPerOperation, statementsByLineCount, exampleStatements };
}

// ---------------------------------------------------------------- M1: placeOrder at a fixed rate

export interface PlaceOrderResult {
  rate: number;
  seconds: number;
  load: LoadResult;
  placed: number;
  outOfStockOrOtherUserErrors: number;
  statementsPerOperation: Record<DatabaseName, number> & { total: number };
  stockCheck: { negativeStock: number; productsWhoseStockDoesNotAddUp: number; unitsTaken: number; unitsInPlacedOrders: number; oversold: boolean };
}

async function placeOrders(target: RunningTarget, fixture: Fixture, serverUrl: string): Promise<PlaceOrderResult> {
  const products = postgres(databaseUrl(serverUrl, BENCH_DATABASES.products), { max: 1, onnotice: () => {} });
  const orders = postgres(databaseUrl(serverUrl, BENCH_DATABASES.orders), { max: 1, onnotice: () => {} });
  try {
    // The scarce products: a few units each, so that concurrent orders compete for the last ones.
    await products`update products set stock = 10 where id = any(${fixture.hotProductIds}::uuid[])`;
    const before = new Map((await products`select id, stock from products`).map((row) => [row.id as string, row.stock as number]));
    await target.request({ type: 'reset' });
    log(`greencart M1: placeOrder at ${config.placeOrderRate} req/s for ${config.placeOrderSeconds} s`);
    const result = await load(target.url, () => requestFor('greencart', 'M1', fixture), {
      seconds: config.placeOrderSeconds,
      connections: Math.max(config.connections, config.placeOrderRate),
      overallRate: config.placeOrderRate,
    });
    // Requests still in flight when autocannon stops finish before the stock is checked.
    await settle();
    const { statements } = await target.request<Stats>({ type: 'stats' });
    const after = await products`
      select p.id, p.stock, coalesce(sum(l.quantity) filter (where r.status = 'RESERVED'), 0)::int as reserved
      from products p left join stock_reservation_lines l on l.product_id = p.id left join stock_reservations r on r.id = l.reservation_id
      group by p.id, p.stock`;
    let negativeStock = 0;
    let mismatched = 0;
    let unitsTaken = 0;
    for (const row of after) {
      const taken = before.get(row.id as string)! - (row.stock as number);
      unitsTaken += taken;
      if ((row.stock as number) < 0) negativeStock++;
      if (taken !== row.reserved) mismatched++;
    }
    const [placed] = await orders`
      select count(distinct o.id)::int as orders, coalesce(sum(i.quantity), 0)::int as units
      from orders o join order_items i on i.order_id = o.id
      where o.idempotency_key like 'bench-m1-%' and o.status = 'PENDING_PAYMENT'`;
    // Per placeOrder request, placed or refused (out of stock).
    const perOperation = (value: number) => Math.round((value / Math.max(1, result.sent)) * 100) / 100;
    const stockCheck = {
      negativeStock,
      productsWhoseStockDoesNotAddUp: mismatched,
      unitsTaken,
      unitsInPlacedOrders: placed!.units as number,
      oversold: negativeStock > 0 || mismatched > 0 || unitsTaken !== (placed!.units as number),
    };
    log(`greencart M1: ${placed!.orders} orders placed, ${result.graphqlErrors} GraphQL errors; stock check: ${JSON.stringify(stockCheck)}`);
    return {
      rate: config.placeOrderRate,
      seconds: config.placeOrderSeconds,
      load: result,
      placed: placed!.orders as number,
      outOfStockOrOtherUserErrors: result.userErrors,
      statementsPerOperation: {
        accounts: perOperation(statements.accounts),
        orders: perOperation(statements.orders),
        products: perOperation(statements.products),
        total: perOperation(statements.accounts + statements.orders + statements.products),
      },
      stockCheck,
    };
  } finally {
    await Promise.all([products.end({ timeout: 5 }), orders.end({ timeout: 5 })]);
  }
}

// ---------------------------------------------------------------- report

export interface BenchReport {
  startedAt: string;
  config: typeof config;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  dataSet: typeof DATA_SET;
  operations: OperationResult[];
  peakRssBytes: Partial<Record<TargetName, number>>;
  placeOrder?: PlaceOrderResult;
}

const TARGET_LABELS: Record<TargetName, string> = { limit: '(a) limit: node:http + postgres.js', greencart: '(c) GreenCart gateway' };

export function markdownTable(report: BenchReport): string {
  const lines = [
    '| Operation | Target | RPS (median) | p50 / p99 at peak (ms) | Half of peak (req/s) | p50 / p99 at half, evenly spaced (ms) | p50 / p99 at half, autocannon overallRate (ms) | SQL statements / op (accounts+orders+products) | Subgraph calls / op | Peak RSS (MiB) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const result of report.operations) {
    const s = result.statementsPerOperation;
    const calls = result.subgraphCallsPerOperation ? Object.entries(result.subgraphCallsPerOperation).filter(([, count]) => count > 0).map(([name, count]) => `${name} ${count}`).join(', ') : 'n/a';
    const rss = report.peakRssBytes[result.target];
    lines.push(
      `| ${result.operation} | ${TARGET_LABELS[result.target]} | ${result.peak.rps.toFixed(0)} | ${result.peak.p50} / ${result.peak.p99} | ${result.halfPeak.rate} | ${result.halfPeakPaced.p50} / ${result.halfPeakPaced.p99} | ${result.halfPeak.p50} / ${result.halfPeak.p99} | ${s.total} (${s.accounts}+${s.orders}+${s.products}) | ${calls} | ${rss ? (rss / 2 ** 20).toFixed(0) : '?'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const startedAt = new Date();
  log(`config: ${JSON.stringify(config)}`);
  const database = await startBenchPostgres();
  const children: RunningTarget[] = [];
  try {
    const data = await seedBenchmark(database.url, log);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateKeyPem = await exportPKCS8(privateKey);
    const keySet = await buildUserTokenKeySet({ privateKeyPem });
    const issuer = await createUserTokenIssuer({ ...TOKEN_SETTINGS, signingKey: keySet.signingKey, ttlSeconds: 6 * 3600 });
    const tokens = new Map(await Promise.all(data.customerIds.map(async (id) => [id, await issuer.issue({ id, role: 'CUSTOMER' })] as const)));
    const fixture: Fixture = { data, tokens, hotProductIds: data.productIds.slice(0, 10) };

    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      config,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, platform: `${process.platform} ${process.arch}` },
      dataSet: DATA_SET,
      operations: [],
      peakRssBytes: {},
    };
    for (const name of config.targets) {
      if (name !== 'limit' && name !== 'greencart') throw new Error(`unknown target ${name} (limit, greencart)`);
      log(`starting ${name}`);
      const target = await startTarget({ target: name, serverUrl: database.url, privateKeyPem });
      children.push(target);
      for (const operation of READS) report.operations.push(await measure(target, name, operation, fixture));
      if (name === 'greencart') report.placeOrder = await placeOrders(target, fixture, database.url);
      report.peakRssBytes[name] = (await target.request<Stats>({ type: 'stats' })).maxRssBytes;
      await target.stop();
      children.pop();
    }

    const folder = fileURLToPath(new URL('./results/', import.meta.url));
    await mkdir(folder, { recursive: true });
    const table = markdownTable(report);
    await writeFile(`${folder}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(`${folder}latest.md`, `${table}\n`);
    await writeFile(`${folder}latest.svg`, renderChart(report));
    process.stdout.write(`${table}\n`);
    if (report.placeOrder) process.stdout.write(`\nM1 placeOrder: ${JSON.stringify({ ...report.placeOrder, load: undefined }, null, 2)}\n`);
    log(`done in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s; results in scripts/bench/results/`);
  } finally {
    for (const child of children) await child.stop();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
