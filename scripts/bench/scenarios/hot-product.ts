// M2 (target `orders`): placeOrder at full speed through (c), every order buying one hot
// product, against orders spread over 1,000 products; then the same on products' StockService
// alone; every unit accounted for. Results in the run's report and in results/m2.{json,md}; a run
// of M2 alone writes only those.
import { randomInt, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import type autocannon from 'autocannon';
import postgres from 'postgres';
import { databaseUrl } from '@greencart/platform';
import { prepareProductsDatabase, StockService } from '@greencart/products';
import { BENCH_DATABASES, median, percentile, type DatabaseName } from '../common.js';
import type { BenchConfig } from '../config.js';
import { load, send, settle, type LoadResult } from '../harness/load.js';
import { log } from '../harness/log.js';
import { GRAPHQL, type Fixture } from '../harness/operations.js';
import { countedStatements, resetCounts, statementsPer, type Target } from '../harness/processes.js';
import type { BenchSession } from '../harness/session.js';
import type { BenchData } from '../seed.js';

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
async function measureHotProduct(target: Target, fixture: Fixture, serverUrl: string, config: BenchConfig): Promise<HotProductResult> {
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

/** M2 on a fresh (c) gateway over the subgraph processes (started here if no target started them). */
export async function runHotProduct(session: BenchSession): Promise<HotProductResult> {
  const { config } = session;
  log('starting M2: one hot product against many, on a fresh (c) gateway');
  const fresh = !session.subgraphs;
  const behind = await session.ensureSubgraphs();
  const front = await session.started(session.ourGateway(behind, session.gatewayPorts.greencart, config.gatewayWorkers));
  const result = await measureHotProduct({ name: 'greencart', url: front.url, front, subgraphs: behind, freshSubgraphs: fresh }, session.fixture, session.serverUrl, config);
  await session.stop(front);
  return result;
}
