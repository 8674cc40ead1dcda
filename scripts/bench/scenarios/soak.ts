// The soak (target `soak`, issue 29; opt-in: 30 minutes by default, BENCH_SOAK_MINUTES): does
// GreenCart hold a steady load for long without growing or failing? On a fresh (c) gateway (one
// process) over the subgraph processes:
// - peaks: Q1–Q4 and placeOrder each at full speed as the reads measure their peak (BENCH_RUNS runs
//   of BENCH_DURATION_SECONDS, median req/s; reads.ts's peakOf);
// - then, for the whole soak, all five at once, each evenly spaced (open loop, as the reads' half
//   of peak) at half its peak divided by five: together about half of what the machine serves, not
//   five times half of it. placeOrder buys 3 units of products of its own (ids 2,000–9,899 of the
//   data set, away from M1's, M2's and S1's), restocked first far beyond what the soak can sell;
// - and BENCH_SOAK_SUBSCRIBERS (200) productUpdated subscribers, one connection each, on S1's hot
//   products, with stock changes committed at a steady rate in every window, each one checked
//   against what they receive (live-subscribers.ts).
// The soak is cut into six windows (five minutes at 30): per window and operation p50 and p99
// (from each request's scheduled time) and errors; per window the subscribers' deliveries and the
// resident memory (/proc VmRSS) of the gateway and every subgraph. The verdicts: each service's
// RSS grows less than 10% from the end of the first window (minute 5) to the end (minute 30), and
// nothing failed: no HTTP or GraphQL error, no refused order, no event lost, duplicated or
// unexpected, no subscription dropped. Results: results/soak.{json,md}, or <BENCH_RESULTS_NAME>-soak.*.
import { randomInt, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import type autocannon from 'autocannon';
import postgres from 'postgres';
import { databaseUrl } from '@greencart/platform';
import { BENCH_DATABASES, percentile, residentTreeBytes } from '../common.js';
import type { BenchConfig } from '../config.js';
import { load, send, settle } from '../harness/load.js';
import { log } from '../harness/log.js';
import { GRAPHQL, READS, requestFor, type Fixture } from '../harness/operations.js';
import { gatewayGauges, startLiveSubscribers, type BenchProcess } from '../harness/processes.js';
import type { BenchSession } from '../harness/session.js';
import type { DeliveryResult } from '../live-subscribers.js';
import { mib } from '../report-figures.js';
import type { SubgraphName } from '../targets.js';
import { productUpdatedDocument } from './live-updates.js';
import { peakOf } from './reads.js';

const SOAK_OPERATIONS = [...READS, 'placeOrder'] as const;
type SoakOperation = (typeof SOAK_OPERATIONS)[number];
const WINDOWS = 6;
/** The products the soak's orders buy from: none of M1's scarce ones (0–9), M2's (20, 1,000–1,999), S1's and the soak's subscribed ones (100–119), Q5's (0–199) nor I1's (the last 50). */
const ORDER_PRODUCTS = { from: 2_000, to: 9_900 } as const;
const ORDER_LINES = 3;
/** Each order product's stock when the soak starts: at 100 orders a second for 30 minutes, 3 lines each over 7,900 products, about 70 units of each are sold. */
const ORDER_STOCK = 1_000_000;
/** The subscribers watch S1's hot products, 1 to 5 each; stock changes a second on them, round-robin. */
const HOT_PRODUCTS = { from: 100, to: 120 } as const;
const MAX_IDS_PER_SUBSCRIBER = 5;
const CHANGE_RATE = 10;
/** A request not answered in this time counts as an error (the gateway's own deadline is shorter). */
const REQUEST_TIMEOUT_MS = 60_000;
/** Error messages kept, the first ones. */
const FIRST_ERRORS = 10;

export interface SoakOperationWindow {
  /** Requests scheduled in the window, and those answered with 200 and no error. */
  sent: number;
  succeeded: number;
  p50: number;
  p99: number;
  max: number;
  /** Non-200 answers, and requests that failed or timed out without one. */
  httpErrors: number;
  graphqlErrors: number;
  /** placeOrder answers with userErrors (an order refused, e.g. out of stock). */
  refused: number;
}

export interface SoakWindow {
  /** The window's end, in minutes from the start of the soak. */
  endMinute: number;
  operations: Record<SoakOperation, SoakOperationWindow>;
  /** The stock changes committed in the window and what the subscribers received of them. */
  deliveries: DeliveryResult;
  /** At the window's end: the gateway's open productUpdated subscriptions (its gauge) and the subscribers' open connections. */
  openSubscriptions: number;
  openConnections: number;
  /** At the window's end, per service (gateway and each subgraph): resident memory (/proc VmRSS) and V8 heap in use (its /metrics). */
  rssBytes: Record<string, number>;
  heapUsedBytes: Record<string, number>;
}

export interface SoakResult {
  minutes: number;
  windowMinutes: number;
  /** Median req/s at full speed (and each run's), as the reads measure their peak. */
  peaks: Record<SoakOperation, { rps: number; runs: number[] }>;
  /** Requests a second each operation was sent during the soak: half its peak / the number of operations. */
  rates: Record<SoakOperation, number>;
  orderProducts: number;
  orderLines: number;
  orderStock: number;
  subscribers: number;
  subscribersFailedToOpen: number;
  hotProducts: number;
  changeRate: number;
  windows: SoakWindow[];
  /** Per service: RSS at the end of the first window and of the last, and the growth between them (0.05 = 5%). */
  rssGrowth: Record<string, { firstWindowBytes: number; endBytes: number; growth: number }>;
  errors: {
    http: number;
    graphql: number;
    refusedOrders: number;
    subscribersFailedToOpen: number;
    /** Connections open after the subscribers opened and closed by the end. */
    subscriptionsDropped: number;
    eventsLost: number;
    eventsDuplicated: number;
    eventsUnexpected: number;
    subscriptionErrors: number;
    total: number;
    /** The first few, with the operation and minute. */
    first: string[];
  };
  ordersPlaced: number;
  /** The lowest stock among the order products at the end: far from 0, or the soak's orders would have run out. */
  lowestOrderStockLeft: number;
  /** The machine's 1, 5 and 15 minute load averages when the soak began and ended (it may be shared). */
  loadAverage: { before: number[]; after: number[] };
  targets: { rssGrowthUnder10Percent: Record<string, boolean>; noErrors: boolean };
}

/** One placeOrder from a random customer: ORDER_LINES units of different products from `productIds`, one each. */
function soakOrderRequest(fixture: Fixture, productIds: string[]): autocannon.Request {
  const customerId = fixture.data.customerIds[randomInt(fixture.data.customerIds.length)]!;
  const chosen = new Set<string>();
  while (chosen.size < ORDER_LINES) chosen.add(productIds[randomInt(productIds.length)]!);
  const variables = { input: { idempotencyKey: `bench-soak-${randomUUID()}`, items: [...chosen].map((productId) => ({ productId, quantity: 1 })) } };
  return {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.tokens.get(customerId)}` },
    body: JSON.stringify({ query: GRAPHQL.M1, variables }),
  };
}

const sleepUntil = async (time: number) => {
  const wait = time - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
};

/** What one operation's stream counted in one window. */
interface WindowCounts {
  latencies: number[];
  sent: number;
  succeeded: number;
  httpErrors: number;
  graphqlErrors: number;
  refused: number;
}

const emptyCounts = (): WindowCounts => ({ latencies: [], sent: 0, succeeded: 0, httpErrors: 0, graphqlErrors: 0, refused: 0 });

/**
 * `rate` requests a second from `start` to `end`, evenly spaced (open loop, as paced() in load.ts),
 * each counted in the window it was scheduled in; settles when every request has been answered.
 */
async function stream(
  url: string,
  makeRequest: () => autocannon.Request,
  options: { rate: number; start: number; end: number; windowMs: number; windows: WindowCounts[]; onError(message: string): void },
): Promise<void> {
  const interval = 1000 / options.rate;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; ; i++) {
    const due = options.start + i * interval;
    if (due >= options.end) break;
    await sleepUntil(due);
    const window = options.windows[Math.min(options.windows.length - 1, Math.floor((due - options.start) / options.windowMs))]!;
    const minute = ((due - options.start) / 60_000).toFixed(1);
    window.sent++;
    const request = makeRequest();
    inFlight.push(
      fetch(`${url}${request.path}`, { method: request.method, headers: request.headers as Record<string, string>, body: request.body as string, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
        .then(async (response) => ({ status: response.status, body: await response.text() }))
        .then(
          (answer) => {
            window.latencies.push(performance.now() - due);
            if (answer.status !== 200) {
              window.httpErrors++;
              options.onError(`minute ${minute}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
            } else if (answer.body.includes('"errors"')) {
              window.graphqlErrors++;
              options.onError(`minute ${minute}: ${answer.body.slice(0, 300)}`);
            } else if (answer.body.includes('"userErrors":[{')) {
              window.refused++;
              options.onError(`minute ${minute}: refused: ${answer.body.slice(0, 300)}`);
            } else window.succeeded++;
          },
          (error: unknown) => {
            window.httpErrors++;
            options.onError(`minute ${minute}: ${error instanceof Error ? error.message : String(error)}`);
          },
        ),
    );
  }
  await Promise.all(inFlight);
}

/** Each service's resident memory (/proc, with its descendants) and heap in use (its /metrics). */
async function serviceMemory(services: Record<string, BenchProcess>): Promise<{ rssBytes: Record<string, number>; heapUsedBytes: Record<string, number> }> {
  const rssBytes: Record<string, number> = {};
  const heapUsedBytes: Record<string, number> = {};
  for (const [name, part] of Object.entries(services)) {
    rssBytes[name] = residentTreeBytes(part.child.pid!);
    heapUsedBytes[name] = part.metricsUrl ? (await gatewayGauges(part.metricsUrl)).heapUsedBytes : 0;
  }
  return { rssBytes, heapUsedBytes };
}

async function measureSoak(front: BenchProcess, behind: Record<SubgraphName, BenchProcess>, fresh: boolean, session: BenchSession): Promise<SoakResult> {
  const { config, fixture } = session;
  const url = front.url;
  const orderProducts = fixture.data.productIds.slice(ORDER_PRODUCTS.from, ORDER_PRODUCTS.to);
  const products = postgres(databaseUrl(session.serverUrl, BENCH_DATABASES.products), { max: 1, onnotice: () => {} });
  const orders = postgres(databaseUrl(session.serverUrl, BENCH_DATABASES.orders), { max: 1, onnotice: () => {} });
  const makeRequest = (operation: SoakOperation) => () => (operation === 'placeOrder' ? soakOrderRequest(fixture, orderProducts) : requestFor('greencart', operation, fixture));
  const clients = await startLiveSubscribers({
    gatewayUrl: `${front.url.replace(/^http/, 'ws')}/graphql`,
    productsDatabaseUrl: databaseUrl(session.serverUrl, BENCH_DATABASES.products),
    productIds: fixture.data.productIds.slice(HOT_PRODUCTS.from, HOT_PRODUCTS.to),
    subscribers: config.soakSubscribers,
    maxIdsPerSubscriber: MAX_IDS_PER_SUBSCRIBER,
    document: productUpdatedDocument(),
    operationName: 'ProductUpdated',
  });
  try {
    await products`update products set stock = ${ORDER_STOCK} where id = any(${orderProducts}::uuid[])`;

    // Peaks, one operation at a time, as the reads measure theirs.
    const peaks = {} as SoakResult['peaks'];
    for (const operation of SOAK_OPERATIONS) {
      const probe = await send(url, makeRequest(operation)());
      if (probe.status !== 200 || probe.body.includes('"errors"') || probe.body.includes('"data":null') || probe.body.includes('"userErrors":[{'))
        throw new Error(`soak ${operation}: ${probe.status} ${probe.body.slice(0, 500)}`);
      const warmup = config.warmupSeconds * (fresh ? 2 : 1);
      log(`soak ${operation}: warm-up ${warmup} s`);
      await load(url, makeRequest(operation), { seconds: warmup, connections: config.connections });
      await settle();
      const { runs, peak } = await peakOf(url, makeRequest(operation), `soak ${operation}`, config);
      peaks[operation] = { rps: peak.rps, runs: runs.map((run) => run.rps) };
      await settle();
    }
    const rates = Object.fromEntries(SOAK_OPERATIONS.map((operation) => [operation, Math.max(1, Math.round((peaks[operation].rps / 2 / SOAK_OPERATIONS.length) * 10) / 10)])) as SoakResult['rates'];
    log(`soak: peaks ${JSON.stringify(Object.fromEntries(SOAK_OPERATIONS.map((operation) => [operation, Math.round(peaks[operation].rps)])))} req/s; rates ${JSON.stringify(rates)} req/s`);

    const opened = await clients.request<{ seconds: number; failed: number }>({ type: 'open' });
    // The protocol acknowledges no subscription: the gateway's gauge says when all are watching.
    const deadline = Date.now() + 60_000;
    while ((await gatewayGauges(front.metricsUrl!)).productSubscriptions < config.soakSubscribers - opened.failed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const closedAtOpen = (await clients.request<{ open: number; closed: number }>({ type: 'status' })).closed;
    log(`soak: ${config.soakSubscribers - opened.failed} subscribers open in ${opened.seconds} s (${opened.failed} failed)`);

    const windowMs = (config.soakMinutes * 60_000) / WINDOWS;
    const drainSeconds = Math.min(5, windowMs / 4000);
    const counts = Object.fromEntries(SOAK_OPERATIONS.map((operation) => [operation, Array.from({ length: WINDOWS }, emptyCounts)])) as Record<SoakOperation, WindowCounts[]>;
    const firstErrors: string[] = [];
    let failedRequests = 0;
    const services: Record<string, BenchProcess> = { gateway: front, ...behind };
    const loadBefore = loadavg();
    log(`soak: ${config.soakMinutes} minutes in ${WINDOWS} windows of ${(windowMs / 60_000).toFixed(2)} min`);
    const start = performance.now();
    const end = start + WINDOWS * windowMs;
    const streams = SOAK_OPERATIONS.map((operation) =>
      stream(url, makeRequest(operation), {
        rate: rates[operation],
        start,
        end,
        windowMs,
        windows: counts[operation],
        onError: (message) => {
          failedRequests++;
          if (firstErrors.length < FIRST_ERRORS) firstErrors.push(`${operation} ${message}`);
        },
      }),
    );
    // Per window: the stock changes (ending a drain before the window does), then the window's figures at its end.
    const windows: Omit<SoakWindow, 'operations'>[] = [];
    for (let index = 0; index < WINDOWS; index++) {
      await sleepUntil(start + index * windowMs);
      const seconds = Math.max(1, windowMs / 1000 - drainSeconds - 1);
      const deliveries = (await clients.request<{ result: DeliveryResult }>({ type: 'changes', rate: CHANGE_RATE, seconds, drainSeconds })).result;
      await sleepUntil(start + (index + 1) * windowMs);
      const memory = await serviceMemory(services);
      const connections = await clients.request<{ open: number; closed: number }>({ type: 'status' });
      const openSubscriptions = (await gatewayGauges(front.metricsUrl!)).productSubscriptions;
      windows.push({ endMinute: Math.round(((index + 1) * windowMs) / 600) / 100, deliveries, openSubscriptions, openConnections: connections.open, ...memory });
      const latest = counts.Q1[index]!;
      log(
        `soak minute ${windows.at(-1)!.endMinute}: Q1 p99 ${percentile(
          [...latest.latencies].sort((a, b) => a - b),
          0.99,
        )} ms, failed requests so far ${failedRequests}, events lost ${deliveries.lost} of ${deliveries.expected}, open subscriptions ${openSubscriptions}; RSS ${Object.entries(memory.rssBytes)
          .map(([name, bytes]) => `${name} ${mib(bytes)}`)
          .join(', ')} MiB`,
      );
    }
    await Promise.all(streams);
    const dropped = (await clients.request<{ open: number; closed: number }>({ type: 'status' })).closed - closedAtOpen;
    const loadAfter = loadavg();

    const [placed] = await orders`select count(*)::int as orders from orders where idempotency_key like 'bench-soak-%' and status = 'PENDING_PAYMENT'`;
    const [lowest] = await products`select min(stock)::int as stock from products where id = any(${orderProducts}::uuid[])`;
    const result: Omit<SoakResult, 'rssGrowth' | 'errors' | 'targets'> = {
      minutes: config.soakMinutes,
      windowMinutes: windowMs / 60_000,
      peaks,
      rates,
      orderProducts: orderProducts.length,
      orderLines: ORDER_LINES,
      orderStock: ORDER_STOCK,
      subscribers: config.soakSubscribers,
      subscribersFailedToOpen: opened.failed,
      hotProducts: HOT_PRODUCTS.to - HOT_PRODUCTS.from,
      changeRate: CHANGE_RATE,
      windows: windows.map(({ endMinute, ...window }, index) => ({
        endMinute,
        operations: Object.fromEntries(
          SOAK_OPERATIONS.map((operation) => {
            const { latencies, ...counted } = counts[operation][index]!;
            latencies.sort((a, b) => a - b);
            return [operation, { ...counted, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: Math.round((latencies.at(-1) ?? NaN) * 10) / 10 }];
          }),
        ) as Record<SoakOperation, SoakOperationWindow>,
        ...window,
      })),
      ordersPlaced: placed!.orders as number,
      lowestOrderStockLeft: lowest!.stock as number,
      loadAverage: { before: loadBefore, after: loadAfter },
    };
    const first = result.windows[0]!;
    const last = result.windows.at(-1)!;
    const rssGrowth = Object.fromEntries(
      Object.keys(services).map((name) => {
        const firstWindowBytes = first.rssBytes[name]!;
        const endBytes = last.rssBytes[name]!;
        return [name, { firstWindowBytes, endBytes, growth: Math.round(((endBytes - firstWindowBytes) / Math.max(1, firstWindowBytes)) * 10_000) / 10_000 }];
      }),
    );
    const operationWindows = result.windows.flatMap((window) => Object.values(window.operations));
    const sum = <T>(values: T[], pick: (value: T) => number) => values.reduce((total, value) => total + pick(value), 0);
    const deliveries = result.windows.map((window) => window.deliveries);
    const errors = {
      http: sum(operationWindows, (window) => window.httpErrors),
      graphql: sum(operationWindows, (window) => window.graphqlErrors),
      refusedOrders: sum(operationWindows, (window) => window.refused),
      subscribersFailedToOpen: opened.failed,
      subscriptionsDropped: dropped,
      eventsLost: sum(deliveries, (delivery) => delivery.lost),
      eventsDuplicated: sum(deliveries, (delivery) => delivery.duplicates),
      eventsUnexpected: sum(deliveries, (delivery) => delivery.unexpected),
      subscriptionErrors: sum(deliveries, (delivery) => delivery.errors),
      total: 0,
      first: firstErrors,
    };
    errors.total =
      errors.http +
      errors.graphql +
      errors.refusedOrders +
      errors.subscribersFailedToOpen +
      errors.subscriptionsDropped +
      errors.eventsLost +
      errors.eventsDuplicated +
      errors.eventsUnexpected +
      errors.subscriptionErrors;
    return {
      ...result,
      rssGrowth,
      errors,
      targets: {
        rssGrowthUnder10Percent: Object.fromEntries(Object.entries(rssGrowth).map(([name, growth]) => [name, growth.growth < 0.1])),
        noErrors: errors.total === 0,
      },
    };
  } finally {
    await clients.request({ type: 'close' }).catch(() => undefined);
    await clients.stop();
    await Promise.all([products.end({ timeout: 5 }), orders.end({ timeout: 5 })]);
  }
}

/** The soak on a fresh (c) gateway: one process, so that its RSS is one process's. */
export async function runSoak(session: BenchSession): Promise<SoakResult> {
  log(`starting the soak: ${session.config.soakMinutes} minutes of Q1–Q4, placeOrder and ${session.config.soakSubscribers} subscribers on a fresh (c) gateway`);
  const fresh = !session.subgraphs;
  const behind = await session.ensureSubgraphs();
  const front = await session.started(session.ourGateway(behind, session.gatewayPorts.greencart, 1));
  try {
    return await measureSoak(front, behind, fresh, session);
  } finally {
    await session.stop(front);
  }
}

/** The soak's figures and verdicts as markdown. */
export function soakMarkdown(soak: SoakResult): string {
  const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const operations = Object.keys(soak.rates) as SoakOperation[];
  const services = Object.keys(soak.rssGrowth);
  const percent = (fraction: number) => `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
  const first = soak.windows[0]!;
  const last = soak.windows.at(-1)!;
  const e = soak.errors;
  return [
    `Soak: ${soak.minutes} minutes on one (c) gateway process over the subgraph processes. ${operations.join(', ')} at once, each evenly spaced at half its peak divided by ${operations.length} (together about half of what the machine serves): ${operations.map((operation) => `${operation} ${soak.rates[operation]}/s (peak ${Math.round(soak.peaks[operation].rps)})`).join(', ')}. placeOrder buys ${soak.orderLines} units from ${soak.orderProducts.toLocaleString('en')} products restocked to ${soak.orderStock.toLocaleString('en')} each (${soak.ordersPlaced.toLocaleString('en')} orders placed, lowest stock left ${soak.lowestOrderStockLeft.toLocaleString('en')}). ${soak.subscribers} productUpdated subscribers, one connection each (${soak.subscribersFailedToOpen} failed to open), on ${soak.hotProducts} products changed ${soak.changeRate} times a second. Latency from each request's scheduled time, in windows of ${soak.windowMinutes.toFixed(soak.windowMinutes % 1 ? 2 : 0)} minutes.`,
    '',
    `| Minutes | ${operations.map((operation) => `${operation} p50 / p99 (ms)`).join(' | ')} | Requests | Errors | Events delivered / expected (lost) | Open subscriptions |`,
    `|---|${operations.map(() => '---:|').join('')}---:|---:|---:|---:|`,
    ...soak.windows.map((window, index) => {
      const counted = Object.values(window.operations);
      const requests = counted.reduce((sum, operation) => sum + operation.sent, 0);
      const errors = counted.reduce((sum, operation) => sum + operation.httpErrors + operation.graphqlErrors + operation.refused, 0);
      const from = index === 0 ? 0 : soak.windows[index - 1]!.endMinute;
      return `| ${from}–${window.endMinute} | ${operations.map((operation) => `${window.operations[operation].p50} / ${window.operations[operation].p99}`).join(' | ')} | ${requests} | ${errors} | ${window.deliveries.delivered} / ${window.deliveries.expected} (${window.deliveries.lost}) | ${window.openSubscriptions} |`;
    }),
    '',
    `| RSS (MiB) | ${soak.windows.map((window) => `at ${window.endMinute} min`).join(' | ')} | Heap used at ${first.endMinute} / ${last.endMinute} min (MiB) |`,
    `|---|${soak.windows.map(() => '---:|').join('')}---:|`,
    ...services.map((name) => `| ${name} | ${soak.windows.map((window) => mib(window.rssBytes[name])).join(' | ')} | ${mib(first.heapUsedBytes[name])} / ${mib(last.heapUsedBytes[name])} |`),
    '',
    `Load average (1 min) ${soak.loadAverage.before[0]!.toFixed(1)} when the soak began, ${soak.loadAverage.after[0]!.toFixed(1)} when it ended, on ${cpus().length} cores.`,
    '',
    '| Soak target | Result |',
    '|---|---|',
    ...services.map((name) => {
      const growth = soak.rssGrowth[name]!;
      return `| ${name}: RSS growth from minute ${first.endMinute} to ${last.endMinute} under 10% | ${met(soak.targets.rssGrowthUnder10Percent[name]!)}: ${mib(growth.firstWindowBytes)} → ${mib(growth.endBytes)} MiB (${percent(growth.growth)}) |`;
    }),
    `| No errors | ${met(soak.targets.noErrors)}: ${e.total} (HTTP ${e.http}, GraphQL ${e.graphql}, refused orders ${e.refusedOrders}; subscribers failed to open ${e.subscribersFailedToOpen}, dropped ${e.subscriptionsDropped}, events lost ${e.eventsLost}, duplicated ${e.eventsDuplicated}, unexpected ${e.eventsUnexpected}, subscription errors ${e.subscriptionErrors}) |`,
    ...(e.first.length > 0 ? ['', 'First errors:', '', ...e.first.map((message) => `- ${message.replace(/\s+/g, ' ')}`)] : []),
  ].join('\n');
}
