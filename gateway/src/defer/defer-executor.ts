import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { GraphQLFormattedError, GraphQLSchema, SelectionSetNode } from 'graphql';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema, type VariableDefinitions } from '@apollo/federation-internals';
import { evaluateCondition, QueryPlanner, type ConditionNode, type DeferNode, type DeferredNode, type PlanNode, type QueryPlan, type QueryPlannerConfig } from '@apollo/query-planner';
import type { GatewayExecutionResult, GatewayGraphQLRequestContext, GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GraphQLExperimentalFormattedIncrementalDeferResultAlpha2, GraphQLExperimentalFormattedSubsequentIncrementalExecutionResultAlpha2 } from '@apollo/server';
import { currentRequest, ErrorCode, type RequestScope } from '@greencart/platform';
import { requestTimeoutMessage } from '../limits.js';
import { deferredPaths, isGeneratedLabel, selectionsOfDeferred, withoutDeferred, type DeferredOperation, type ResponsePath } from './defer-document.js';

// The API schema is Apollo's CommonJS copy of graphql's; see limits.ts.
const { GraphQLError, Kind, print } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** One part after the first: deferred fragments' data at their paths (deferSpec=20220824). */
export type SubsequentPart = GraphQLExperimentalFormattedSubsequentIncrementalExecutionResultAlpha2;
type IncrementalItem = GraphQLExperimentalFormattedIncrementalDeferResultAlpha2;

/** How an answer in parts ended: every part sent, its deadline passed, or the client went away. */
export type PartsOutcome = 'complete' | 'timeout' | 'disconnected';

/** An operation's answer in parts: the first now, the rest as each deferred fragment is resolved. */
export interface IncrementalAnswer {
  initial: GatewayExecutionResult;
  /** Absent when nothing was deferred after all. */
  subsequent?: AsyncIterable<SubsequentPart>;
}

/** Plans remembered, as the gateway's own plan cache does (the planner costs milliseconds a plan). */
const REMEMBERED_PLANS = 500;

/** Fetches of an earlier part, answered again from what they returned: named apart from the subgraphs. */
const REPLAY_PREFIX = 'replay:';

/**
 * Runs queries with `@defer` through @apollo/gateway, which plans them (with incremental delivery
 * enabled, in a planner of its own, so that every other operation keeps the gateway's stock plan)
 * but cannot execute a plan's DeferNode. Each part is run with the gateway's own `executeQueryPlan`:
 * the primary plan first, sent at once; then each deferred plan after the part it depends on, the
 * parts beside one another concurrently. A deferred plan needs the data its parent part fetched
 * (entity keys at its paths) and `executeQueryPlan` always starts from nothing, so the parent's
 * fetches run again in front of it, answered from the parent's recorded responses instead of the
 * subgraphs: the same data, merged by the same code, without a second call.
 */
export class DeferExecutor {
  private planning?: { planner: QueryPlanner; apiSchema: Schema; supergraphSchema: GraphQLSchema };
  private readonly plans = new Map<string, { plan: QueryPlan; variableDefinitions: VariableDefinitions }>();
  private readonly replayed = new WeakMap<PlanNode, PlanNode>();

  constructor(
    private readonly options: {
      supergraphSdl: string;
      queryPlannerConfig: QueryPlannerConfig;
      /** The gateway's data source for each subgraph (the ones its own executor calls). */
      dataSources: () => ServiceMap;
      /** Apollo Server's formatError: deferred parts do not pass through Apollo Server's own formatting. */
      formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
      /** The gateway's request deadline, which the deferred parts are held to as the first part is. */
      requestTimeoutMs: number;
      /** Told of each answer sent in parts once it has ended. */
      countPartsAnswer?: (operationName: string | null | undefined, outcome: PartsOutcome) => void;
    },
  ) {}

  /** Runs an operation with deferred fragments (see deferredOperation). */
  async execute(requestContext: GatewayGraphQLRequestContext, deferred: DeferredOperation): Promise<IncrementalAnswer> {
    const { plan, variableDefinitions } = this.plan(deferred);
    const run = new RequestRun(requestContext, deferred, this, this.options.requestTimeoutMs);
    let answer: IncrementalAnswer | undefined;
    try {
      answer = await this.executeParts(run, plan, variableDefinitions);
      return answer;
    } finally {
      // Nothing to send after the first part (or nobody to send it to): the run's deadline and watch end here.
      if (!answer?.subsequent) run.finish('complete');
    }
  }

  private async executeParts(run: RequestRun, plan: QueryPlan, variableDefinitions: VariableDefinitions): Promise<IncrementalAnswer> {
    const { requestContext, deferred } = run;
    const defer = deferNodeOf(plan.node as PlanNode | undefined, (condition) => evaluateCondition(condition, variableDefinitions, requestContext.request.variables));
    if (!defer) return { initial: await run.stage(plan.node as PlanNode | undefined, [], deferred.operation.selectionSet) };

    // A fragment deferred at the root that needs nothing of the first part starts beside it.
    const independent = new Map(
      defer.deferred
        .filter((part) => part.depends.length === 0 && part.queryPath.length === 0)
        .map((part) => {
          const stage = run.deferredStage(part, []);
          stage.catch(() => {}); // awaited once the first part is out; until then, not an unhandled rejection
          return [part, stage] as const;
        }),
    );
    const initial = await run.stage(defer.primary.node, [], withoutDeferred(deferred.operation.selectionSet));
    // Stopped already: the deadline answered the client (withRequestDeadline), or the client left.
    if (defer.deferred.length === 0 || run.stopped) return { initial };
    const parts = new Readable({ objectMode: true, read() {} });
    run.start(defer.deferred, defer.primary.node ? [defer.primary.node] : [], initial.data, parts, independent);
    return { initial, subsequent: parts };
  }

  /** A plan node whose fetches are answered from the recorded responses (see serviceMap). */
  replay(node: PlanNode): PlanNode {
    let copy = this.replayed.get(node);
    if (!copy) {
      copy = JSON.parse(
        JSON.stringify(node, (key, value: unknown) => (key === 'operationDocumentNode' ? undefined : value)),
        (key, value: unknown) => (key === 'serviceName' && typeof value === 'string' ? `${REPLAY_PREFIX}${value}` : value),
      ) as PlanNode;
      this.replayed.set(node, copy);
    }
    return copy;
  }

  /** The schemas `executeQueryPlan` is given: the API schema and the supergraph's (in which entity keys are resolved). */
  executionSchemas(): { apiSchema: Schema; supergraphSchema: GraphQLSchema } {
    return this.planner();
  }

  /** An error of a deferred part as Apollo Server formats those of the first: a code (INTERNAL_SERVER_ERROR unless it has one), then formatError. */
  formatError(error: unknown): GraphQLFormattedError {
    const graphQLError =
      error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined });
    const formatted = graphQLError.toJSON();
    return this.options.formatError({ ...formatted, extensions: { ...formatted.extensions, code: formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR' } }, error);
  }

  /** The error the last part carries when the deadline passes before every part is sent. */
  timeoutError(): GraphQLFormattedError {
    return this.formatError(new GraphQLError(requestTimeoutMessage(this.options.requestTimeoutMs), { extensions: { code: ErrorCode.REQUEST_TIMEOUT } }));
  }

  countPartsAnswer(operationName: string | null | undefined, outcome: PartsOutcome): void {
    this.options.countPartsAnswer?.(operationName, outcome);
  }

  private planner() {
    // Built on the first deferred operation: most gateways never see one.
    if (!this.planning) {
      const supergraph = Supergraph.build(this.options.supergraphSdl);
      this.planning = {
        planner: new QueryPlanner(supergraph, { ...this.options.queryPlannerConfig, incrementalDelivery: { enableDefer: true } }),
        apiSchema: supergraph.apiSchema(),
        supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
      };
    }
    return this.planning;
  }

  private plan(deferred: DeferredOperation) {
    const key = print(deferred.document);
    let planned = this.plans.get(key);
    if (!planned) {
      const { planner, apiSchema } = this.planner();
      const operation = operationFromDocument(apiSchema, deferred.document);
      planned = { plan: planner.buildQueryPlan(operation), variableDefinitions: operation.variableDefinitions };
      if (this.plans.size >= REMEMBERED_PLANS) this.plans.delete(this.plans.keys().next().value as string);
      this.plans.set(key, planned);
    }
    return planned;
  }

  /**
   * The subgraphs, each call's response recorded, and beside each its replay, which answers a
   * fetch a part already made with the data it got (its errors were that part's, not reported again).
   * Once `stopped`, no call reaches a subgraph: the answer was abandoned.
   */
  serviceMap(stopped: () => boolean): ServiceMap {
    const recorded = new Map<string, GatewayGraphQLResponse>();
    const key = (name: string, request: { query?: string; variables?: Record<string, unknown> }) => `${name}\n${request.query}\n${JSON.stringify(request.variables ?? {})}`;
    const map: ServiceMap = Object.create(null) as ServiceMap;
    for (const [name, source] of Object.entries(this.options.dataSources())) {
      const recording: GraphQLDataSource = {
        async process(options) {
          if (stopped()) throw new GraphQLError('The answer was abandoned (deadline passed or client gone): no further subgraph calls.', { extensions: { code: ErrorCode.REQUEST_TIMEOUT } });
          try {
            const response = await source.process(options);
            recorded.set(key(name, options.request), response);
            return response;
          } catch (error) {
            recorded.set(key(name, options.request), {});
            throw error;
          }
        },
      };
      const replaying: GraphQLDataSource = {
        process: async (options) => ({ data: recorded.get(key(name, options.request))?.data }),
      };
      map[name] = recording;
      map[`${REPLAY_PREFIX}${name}`] = replaying;
    }
    return map;
  }
}

/**
 * One request's deferred parts under way, and the stream they are sent on. It stops when every
 * part is sent, when the request's deadline passes (the parts sent stand; a last part carries
 * REQUEST_TIMEOUT) or when the client goes away; once stopped, parts still under way are dropped
 * and no further subgraph call is made (calls already out end by their own deadline, unwaited).
 */
class RequestRun {
  private pending = 0;
  private parts?: Readable;
  /** The deadline passed, the client left, or every part was sent. */
  stopped = false;
  /** Deferred parts started and not yet sent: what the last part names when the deadline passes. */
  private readonly underway = new Map<DeferredNode, { path: ResponsePath; label?: string }>();
  private readonly deadline: NodeJS.Timeout;
  private readonly response?: RequestScope['response'];
  private readonly serviceMap: ServiceMap;

  constructor(
    readonly requestContext: GatewayGraphQLRequestContext,
    readonly deferred: DeferredOperation,
    private readonly executor: DeferExecutor,
    timeoutMs: number,
  ) {
    this.serviceMap = executor.serviceMap(() => this.stopped);
    const deadlineAt: unknown = (requestContext.context as { deadlineAt?: unknown }).deadlineAt;
    const remaining = (typeof deadlineAt === 'number' ? deadlineAt : performance.now() + timeoutMs) - performance.now();
    this.deadline = setTimeout(() => this.finish('timeout'), Math.max(0, remaining));
    // Absent outside an HTTP request (a WebSocket subscription never asks for parts).
    this.response = currentRequest()?.response;
    this.response?.once('close', this.clientGone);
  }

  private readonly clientGone = () => {
    if (!this.response?.writableFinished) this.finish('disconnected');
  };

  /**
   * Stops the run: sends what the outcome calls for (a last part with REQUEST_TIMEOUT for each part
   * under way, when the deadline passed) and ends the stream, if it had begun.
   */
  finish(outcome: PartsOutcome): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.deadline);
    this.response?.off('close', this.clientGone);
    if (!this.parts) return;
    if (outcome === 'timeout') {
      const error = this.executor.timeoutError();
      const underway = [...this.underway.values()];
      const items: IncrementalItem[] = (underway.length > 0 ? underway : [{ path: [] }]).map(({ path, label }) => ({ data: null, path, ...(label !== undefined ? { label } : {}), errors: [error] }));
      this.parts.push({ incremental: items, hasNext: false } satisfies SubsequentPart);
    }
    this.parts.push(null);
    this.underway.clear();
    this.executor.countPartsAnswer(this.requestContext.operationName, outcome);
  }

  /**
   * Runs `node` after the parts before it (`ancestors`, replayed) and shapes the result as
   * `selectionSet` asks (from the root), with the gateway's own executor and result shaping.
   */
  async stage(node: PlanNode | undefined, ancestors: PlanNode[], selectionSet: SelectionSetNode): Promise<GatewayExecutionResult> {
    const { apiSchema, supergraphSchema } = this.executor.executionSchemas();
    const nodes = [...ancestors.map((ancestor) => this.executor.replay(ancestor)), ...(node ? [node] : [])];
    const plan: QueryPlan = { kind: 'QueryPlan', node: nodes.length > 1 ? { kind: 'Sequence', nodes } : nodes[0] };
    const operation = { ...this.deferred.operation, selectionSet };
    const operationContext = buildOperationContext({ schema: this.requestContext.schema, operationDocument: { kind: Kind.DOCUMENT, definitions: [operation] } });
    return executeQueryPlan(plan, this.serviceMap, this.requestContext, operationContext, supergraphSchema, apiSchema);
  }

  /**
   * Starts the deferred parts of one DeferNode, each after `ancestors`, which fetched `parentData`
   * (or with the stage already under way in `started`).
   */
  start(deferred: DeferredNode[], ancestors: PlanNode[], parentData: GatewayExecutionResult['data'], parts: Readable, started = new Map<DeferredNode, Promise<GatewayExecutionResult>>()): void {
    this.parts = parts;
    this.pending += deferred.length;
    for (const part of deferred) void this.runDeferred(part, ancestors, parentData, started.get(part));
  }

  /** A deferred part's own plan (the primary plan of the DeferNode nested in it, if any), after `ancestors`. */
  deferredStage(part: DeferredNode, ancestors: PlanNode[]): Promise<GatewayExecutionResult> {
    return this.stage(ownPlan(part), ancestors, selectionsOfDeferred(this.deferred.operation.selectionSet, part.label!));
  }

  private async runDeferred(part: DeferredNode, ancestors: PlanNode[], parentData: GatewayExecutionResult['data'], started?: Promise<GatewayExecutionResult>): Promise<void> {
    const label = part.label!;
    const shownLabel = isGeneratedLabel(label) ? undefined : label;
    const own = ownPlan(part);
    this.underway.set(part, { path: [], label: shownLabel });
    let result: GatewayExecutionResult = {};
    let items: IncrementalItem[];
    try {
      const paths = deferredPaths(parentData, this.deferred.operation.selectionSet, label);
      this.underway.set(part, { path: paths[0] ?? [], label: shownLabel });
      result = await (started ?? this.deferredStage(part, ancestors));
      // Stopped meanwhile: the stream has ended, and this part is dropped (its errors are nobody's).
      if (this.stopped) return;
      items = incrementalItems(result, paths, shownLabel, (error) => this.executor.formatError(error));
    } catch (error) {
      if (this.stopped) return;
      // Whatever fails, the part is still sent (with the error) and the parts after it still end.
      items = [{ data: null, path: [], ...(shownLabel !== undefined ? { label: shownLabel } : {}), errors: [this.executor.formatError(error)] }];
    }
    this.underway.delete(part);
    // Counted before this part is sent, so that its hasNext is right.
    const inner = part.node?.kind === 'Defer' ? part.node.deferred : [];
    this.pending += inner.length - 1;
    if (items.length > 0 || this.pending === 0) this.parts!.push({ ...(items.length > 0 ? { incremental: items } : {}), hasNext: this.pending > 0 } satisfies SubsequentPart);
    if (this.pending === 0) return this.finish('complete');
    const innerAncestors = own ? [...ancestors, own] : ancestors;
    for (const innerPart of inner) void this.runDeferred(innerPart, innerAncestors, result.data);
  }
}

/** What a deferred part fetches itself: its plan, or the primary plan of the DeferNode nested in it. */
function ownPlan(part: DeferredNode): PlanNode | undefined {
  return part.node?.kind === 'Defer' ? part.node.primary.node : part.node;
}

/**
 * The DeferNode that a plan starts with: the planner puts it at the root, under the conditions of
 * @include/@skip on the way to it (the `if` of @defer itself was resolved before planning).
 */
function deferNodeOf(node: PlanNode | undefined, holds: (condition: ConditionNode) => boolean): DeferNode | undefined {
  if (node?.kind === 'Defer') return node;
  if (node?.kind === 'Condition') return deferNodeOf(holds(node) ? node.ifClause : node.elseClause, holds);
  return undefined;
}

/** The deferred fragment's data at each path it applies to, and its errors with the item they concern. */
function incrementalItems(result: GatewayExecutionResult, paths: ResponsePath[], label: string | undefined, formatError: (error: unknown) => GraphQLFormattedError): IncrementalItem[] {
  const items: Array<IncrementalItem & { errors?: GraphQLFormattedError[] }> = [];
  for (const path of paths) {
    const data = valueAt(result.data, path);
    // A fragment whose type condition the object does not meet brings nothing.
    if (data !== null && typeof data === 'object' && Object.keys(data).length === 0) continue;
    items.push({ data: (data ?? null) as Record<string, unknown> | null, path, ...(label !== undefined ? { label } : {}) });
  }
  for (const error of result.errors ?? []) {
    const errorPath = (error as { path?: ResponsePath }).path ?? [];
    const item =
      items.find((candidate) => candidate.path!.every((step, index) => errorPath[index] === step)) ??
      items[0] ??
      // Errors of a part that applies nowhere still reach the client, with nothing to merge.
      items[items.push({ data: {}, path: paths[0] ?? [], ...(label !== undefined ? { label } : {}) }) - 1]!;
    (item.errors ??= []).push(formatError(error));
  }
  return items;
}

function valueAt(data: unknown, path: ResponsePath): unknown {
  let value = data;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}
