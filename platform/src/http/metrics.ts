import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { currentRequest, requestScopeOf } from './request-id.js';

/** Latency buckets in seconds: a few milliseconds up to the subgraph deadline's order of magnitude. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Distinct operation names one service labels before it counts further names as `other`. */
export const MAX_OPERATION_LABELS = 100;
const MAX_OPERATION_NAME_LENGTH = 100;

/** Operation label of a request whose operation was never resolved (unparsable, invalid, refused first). */
export const INVALID_OPERATION = 'invalid';

/** One service's Prometheus metrics, in a registry of its own (tests run four services in one process). */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** The label for an operation: its name, `anonymous`, or `other` past MAX_OPERATION_LABELS names. */
  operationLabel(operationName: string | null | undefined): string;
  /** One GraphQL request arrived; it is in flight until `observeRequest` counts it answered. */
  requestArrived(): void;
  /** One GraphQL request (that arrived) answered, with the codes of the errors in its response; `entityFetch`: it asked for `_entities`. */
  observeRequest(operation: string, seconds: number, errorCodes: readonly string[], entityFetch?: boolean): void;
  /** One call from the gateway to a subgraph. */
  observeSubgraphRequest(subgraph: string, seconds: number): void;
  /** Entity representations the gateway sent a subgraph in one `_entities` call. */
  observeEntityRepresentations(subgraph: string, count: number): void;
}

/** The metrics of one GreenCart service, with Node's process metrics (CPU, memory, event loop, GC). */
export function createServiceMetrics(service: string, options: { processMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({ name: 'greencart_graphql_requests_total', help: 'GraphQL requests answered, by operation.', labelNames: ['operation'], registers });
  const requestsInFlight = new Gauge({ name: 'greencart_graphql_requests_in_flight', help: 'GraphQL requests received and not yet answered.', registers });
  const requestDuration = new Histogram({
    name: 'greencart_graphql_request_duration_seconds',
    help: 'Time to answer a GraphQL request, by operation.',
    labelNames: ['operation'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const errors = new Counter({ name: 'greencart_graphql_errors_total', help: 'Errors sent in GraphQL responses, by extensions.code.', labelNames: ['code'], registers });
  const entityFetches = new Counter({
    name: 'greencart_entity_fetches_total',
    help: "Subgraphs: requests for `_entities` answered (the gateway fetching this subgraph's fields of entities another subgraph returned).",
    registers,
  });
  const subgraphRequests = new Counter({ name: 'greencart_subgraph_requests_total', help: 'Calls from the gateway to a subgraph.', labelNames: ['subgraph'], registers });
  const entityRepresentations = new Counter({
    name: 'greencart_subgraph_entity_representations_total',
    help: 'Entity representations the gateway sent subgraphs in `_entities` calls (each distinct one once per call).',
    labelNames: ['subgraph'],
    registers,
  });
  const subgraphDuration = new Histogram({
    name: 'greencart_subgraph_request_duration_seconds',
    help: 'Time a subgraph took to answer the gateway.',
    labelNames: ['subgraph'],
    buckets: DURATION_BUCKETS,
    registers,
  });

  const operationNames = new OperationNames(MAX_OPERATION_LABELS);
  return {
    registry,
    operationLabel: (operationName) => operationNames.label(operationName),
    requestArrived() {
      requestsInFlight.inc();
    },
    observeRequest(operation, seconds, errorCodes, entityFetch) {
      requestsInFlight.dec();
      requests.inc({ operation });
      if (entityFetch) entityFetches.inc();
      requestDuration.observe({ operation }, seconds);
      for (const code of errorCodes) errors.inc({ code: errorCodeLabel(code) });
    },
    observeSubgraphRequest(subgraph, seconds) {
      subgraphRequests.inc({ subgraph });
      subgraphDuration.observe({ subgraph }, seconds);
    },
    observeEntityRepresentations(subgraph, count) {
      entityRepresentations.inc({ subgraph }, count);
    },
  };
}

/**
 * Operation names come from clients, so the label set is capped: the first `limit` distinct names
 * are labels, later (and overlong) ones count as `other`. A safelisted gateway never gets that far.
 */
export class OperationNames {
  private readonly seen = new Set<string>();
  constructor(private readonly limit: number) {}

  label(operationName: string | null | undefined): string {
    if (!operationName) return 'anonymous';
    if (this.seen.has(operationName)) return operationName;
    if (this.seen.size >= this.limit || operationName.length > MAX_OPERATION_NAME_LENGTH) return 'other';
    this.seen.add(operationName);
    return operationName;
  }
}

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** An error code as a label: GreenCart's and GraphQL's codes are SCREAMING_SNAKE_CASE; anything else is `UNKNOWN`. */
export function errorCodeLabel(code: unknown): string {
  return typeof code === 'string' && ERROR_CODE.test(code) ? code : 'UNKNOWN';
}

/** `GET /metrics`: the registry in Prometheus' text format. */
export function metricsRoute(metrics: ServiceMetrics): RequestHandler {
  return async (_req, res) => {
    res.set('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

/**
 * Counts each GraphQL request once its response is done, and logs it at debug level ("request
 * finished", with the operation, status and duration), under the request's id.
 */
export function observeGraphQLRequests(metrics: ServiceMetrics): RequestHandler {
  return (_req, res, next) => {
    const scope = requestScopeOf(res);
    metrics.requestArrived();
    // Refusals answered before Apollo (service credentials, the safelist, limits) are JSON bodies
    // written here; Apollo's own answers are counted by formatError.
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      scope.errorCodes.push(...errorCodesIn(body));
      return json(body);
    };
    res.once('close', () => {
      const seconds = (performance.now() - scope.startedAt) / 1000;
      const operation = scope.operationName === undefined ? INVALID_OPERATION : metrics.operationLabel(scope.operationName);
      metrics.observeRequest(operation, seconds, scope.errorCodes, scope.entityFetch);
      scope.logger.debug('request finished', {
        operation: scope.operationName === undefined ? INVALID_OPERATION : (scope.operationName ?? 'anonymous'),
        status: res.statusCode,
        durationMs: Math.round(seconds * 1000),
        ...(scope.errorCodes.length > 0 ? { errorCodes: scope.errorCodes } : {}),
      });
    });
    next();
  };
}

/** Notes the operation's name in the request's scope once Apollo has resolved it. */
export const operationNamePlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operationName, operation }) {
        const scope = currentRequest();
        if (!scope) return;
        scope.operationName = operationName ?? null;
        scope.entityFetch = !!operation?.selectionSet.selections.some((selection) => selection.kind === 'Field' && selection.name.value === '_entities');
      },
    };
  },
};

/** The `extensions.code` of each error in a GraphQL response body. */
export function errorCodesIn(body: unknown): string[] {
  const errors = (body as { errors?: unknown } | null | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((error) => errorCodeLabel((error as { extensions?: { code?: unknown } } | null)?.extensions?.code));
}
