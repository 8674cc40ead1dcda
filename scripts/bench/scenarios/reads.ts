// Q1–Q4 on one target (issue #8): a correct answer first, a warm-up, SQL statements and subgraph
// calls per operation one request at a time (for Q1 also by order size), then BENCH_RUNS runs at
// full speed (medians of RPS, p50, p99), then one run at half of that peak with a fixed overall
// rate and one evenly spaced (p50, p99 of each).
import type autocannon from 'autocannon';
import type { DatabaseName } from '../common.js';
import { median } from '../common.js';
import type { BenchConfig } from '../config.js';
import { load, paced, send, settle, type LoadResult } from '../harness/load.js';
import { log } from '../harness/log.js';
import { requestFor, type Fixture, type OperationName } from '../harness/operations.js';
import { countedStatements, resetCounts, statementsPer, subgraphRequests, totalOf, type Target } from '../harness/processes.js';
import type { TargetName, TargetStats } from '../targets.js';

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
  exampleStatements: TargetStats['recent'];
}

/** BENCH_RUNS runs at full speed, and their medians: how the bench finds an operation's peak (the soak starts from it too). */
export async function peakOf(
  url: string,
  makeRequest: () => autocannon.Request,
  label: string,
  config: Pick<BenchConfig, 'runs' | 'durationSeconds' | 'connections'>,
): Promise<{ runs: LoadResult[]; peak: { rps: number; p50: number; p99: number } }> {
  const runs: LoadResult[] = [];
  for (let run = 1; run <= config.runs; run++) {
    const result = await load(url, makeRequest, { seconds: config.durationSeconds, connections: config.connections });
    log(`${label}: run ${run}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, non-2xx ${result.non2xx}, GraphQL errors ${result.graphqlErrors}`);
    runs.push(result);
  }
  return { runs, peak: { rps: median(runs.map((run) => run.rps)), p50: median(runs.map((run) => run.p50)), p99: median(runs.map((run) => run.p99)) } };
}

/** One read on one target, from the probe to the half-of-peak runs. */
export async function measureRead(target: Target, operation: OperationName, fixture: Fixture, config: BenchConfig): Promise<OperationResult> {
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

  const { runs, peak } = await peakOf(target.url, makeRequest, `${name} ${operation}`, config);
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
