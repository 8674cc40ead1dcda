// S1 (target `subscriptions`): 1,000 productUpdated subscribers on our gateway while stock changes
// are committed at a steady rate: delivery latency, events lost, gateway RSS per subscription,
// and Q1/Q2 throughput with and without them. The subscribers and the stock writer are a process
// of their own (live-subscribers.ts). Results in results/s1.{json,md}; a run of S1 alone writes only those.
import { readFileSync } from 'node:fs';
import { databaseUrl } from '@greencart/platform';
import { BENCH_DATABASES, freePort } from '../common.js';
import type { BenchConfig } from '../config.js';
import { load, send, settle, type LoadResult } from '../harness/load.js';
import { log } from '../harness/log.js';
import { requestFor, type Fixture, type OperationName } from '../harness/operations.js';
import { gatewayGauges, startLiveSubscribers, type BenchProcess, type GatewayGauges, type Target } from '../harness/processes.js';
import type { BenchSession } from '../harness/session.js';
import type { DeliveryResult } from '../live-subscribers.js';
import { mib } from '../report-figures.js';

/** The client's own persisted ProductUpdated document (client/persisted-documents.json), as a browser sends it. */
export function productUpdatedDocument(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../client/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
  const document = Object.values(manifest).find((text) => text.startsWith('subscription ProductUpdated('));
  if (!document) throw new Error('client/persisted-documents.json holds no ProductUpdated subscription');
  return document;
}

const S1_HOT_PRODUCTS = 20;
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
async function measureLiveUpdates(target: Target, fixture: Fixture, serverUrl: string, config: BenchConfig, live: BenchProcess = target.front): Promise<LiveUpdatesResult> {
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

/** S1 on a fresh (c) gateway (and, with BENCH_S1_LIVE_GATEWAY=own, a second one for the subscribers). */
export async function runLiveUpdates(session: BenchSession): Promise<LiveUpdatesResult> {
  const { config } = session;
  log('starting S1: live updates on a fresh (c) gateway');
  const fresh = !session.subgraphs;
  const behind = await session.ensureSubgraphs();
  // One process whatever BENCH_GATEWAY_WORKERS says: S1 measures what one gateway process holds.
  // --expose-gc: memory is weighed after a full collection; BENCH_CPU_PROF_DIR: a CPU profile of the gateway, written when it stops.
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const front = await session.started(session.ourGateway(behind, session.gatewayPorts.greencart, 1), ['--expose-gc', ...profile]);
  const live = config.s1LiveGateway === 'own' ? await session.started(session.ourGateway(behind, await freePort(), 1), ['--expose-gc']) : front;
  const result = await measureLiveUpdates({ name: 'greencart', url: front.url, front, subgraphs: behind, freshSubgraphs: fresh }, session.fixture, session.serverUrl, config, live);
  for (const gateway of new Set([front, live])) await session.stop(gateway);
  return result;
}
