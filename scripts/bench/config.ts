// The bench's settings: every BENCH_* variable run.ts reads, read and checked once here (the
// table in BENCHMARKS.md's "How to reproduce" says what each does). The whole object is written
// into every result file, so a figure can be traced to the settings it was measured with.
import type { TargetName } from './targets.js';
import { READS, type OperationName } from './harness/operations.js';

/** Scenarios that run after the compared targets, each on gateways of its own, in this order: the cached reads (`cache`: (c) and (d), with and without their caches), M2 (`orders`), S1 (`subscriptions`), Q5 (`deferred`), the storefront's pages (`pages`), I1 (`images`) and the soak (`soak`). */
export const OWN_GATEWAY_TARGETS = ['cache', 'orders', 'subscriptions', 'deferred', 'pages', 'images', 'soak'] as const;
export type OwnGatewayTarget = (typeof OWN_GATEWAY_TARGETS)[number];
/** What BENCH_TARGETS may name: a compared target ((a)–(d)) or a scenario of its own. */
export type BenchTargetName = TargetName | OwnGatewayTarget;
export const runsOnItsOwnGateway = (name: BenchTargetName): name is OwnGatewayTarget => (OWN_GATEWAY_TARGETS as readonly string[]).includes(name);

/** The settings from the environment; throws on a value that is not a positive number, an unknown read or a results name that is not a file name. */
export function readBenchConfig(env: NodeJS.ProcessEnv = process.env) {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
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
    targets: (env.BENCH_TARGETS ?? 'limit,monolith,greencart,hive,orders,subscriptions,deferred').split(',').map((name) => name.trim()) as BenchTargetName[],
    /** The reads each compared target runs (a quick check of one needs no other). */
    reads: (env.BENCH_OPERATIONS ?? 'Q1,Q2,Q3,Q4').split(',').map((name) => name.trim()) as OperationName[],
    /** Processes of each gateway, (c) and (d) alike, sharing its port. */
    gatewayWorkers: number('BENCH_GATEWAY_WORKERS', 1),
    /** The comparison's result files: results/<name>.{json,md,svg}, so a run can leave the files BENCHMARKS.md cites as they are. */
    resultsName: env.BENCH_RESULTS_NAME ?? 'latest',
    /** S1: open subscribers (one connection each), stock changes a second, for how long. */
    s1Subscribers: number('BENCH_S1_SUBSCRIBERS', 1_000),
    s1ChangeRate: number('BENCH_S1_CHANGE_RATE', 20),
    s1Seconds: number('BENCH_S1_SECONDS', 30),
    /** S1: `own` gives the subscribers a gateway process of their own (a WebSocket pool), `shared` the one the queries use. */
    s1LiveGateway: (env.BENCH_S1_LIVE_GATEWAY ?? 'shared') as 'shared' | 'own',
    /** GreenCart's gateway keeps public answers in its cache (off by default here, so that the figures compare executions, not cache hits). */
    gatewayCache: env.BENCH_GATEWAY_CACHE === 'on',
    /** GreenCart's processes (gateway and subgraphs) export traces, to a sink that drops them. */
    tracing: env.BENCH_TRACING === '1' || env.BENCH_TRACING === 'true',
    /** I1: sizes asked for the first time in the cold phase. */
    i1ColdSizes: number('BENCH_I1_COLD_SIZES', 120),
    /** Storefront pages: loads of each page, cold and warm each. */
    pageLoads: number('BENCH_PAGE_LOADS', 20),
    /** The soak: how long (six windows of a sixth each), and its open subscribers. */
    soakMinutes: number('BENCH_SOAK_MINUTES', 30),
    soakSubscribers: number('BENCH_SOAK_SUBSCRIBERS', 200),
  };
  for (const read of config.reads) if (!READS.includes(read)) throw new Error(`BENCH_OPERATIONS: ${read} is not one of ${READS.join(', ')}`);
  if (!/^[\w.-]+$/.test(config.resultsName)) throw new Error(`BENCH_RESULTS_NAME: "${config.resultsName}" must be a file name (letters, digits, ., - and _)`);
  return config;
}

export type BenchConfig = ReturnType<typeof readBenchConfig>;
