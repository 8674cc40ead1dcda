import { createRequire } from 'node:module';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { RequestHandler, Response } from 'express';

/** Paths no trace is made for: probes and scrapes every few seconds, and the change feed's stream that lasts for hours. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics', '/events']);

/** What a running tracer provider needs at the end: its spans sent. */
interface RunningTracing {
  shutdown(): Promise<void>;
}

let running: RunningTracing | undefined;

/** Whether this process exports traces (startTracing was given an OTLP endpoint). */
export function tracingEnabled(): boolean {
  return running !== undefined;
}

/**
 * Starts OpenTelemetry in this process when `endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) is set: spans
 * of incoming and outgoing HTTP (node:http and fetch), with W3C `traceparent` read and sent on every
 * call, exported over OTLP in batches, under `service.name` = `serviceName`. Apollo's gateway and
 * GreenCart's own PostgreSQL spans (database.ts) find the registered provider through the API.
 * Unset, nothing is loaded and no span is made. The SDK itself reads the other standard OTEL_*
 * variables (protocol, headers, sampler, batch sizes).
 */
export async function startTracing(serviceName: string, endpoint: string | undefined): Promise<boolean> {
  if (!endpoint || running) return running !== undefined;
  // Loaded only here, so that a process without tracing never loads the SDK.
  const [{ NodeSDK, core }, { HttpInstrumentation }, { UndiciInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  const sdk = new NodeSDK({
    serviceName,
    // Traces only: metrics stay Prometheus' (/metrics) and logs stay on stderr, with the trace id.
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: new core.W3CTraceContextPropagator(),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has(pathOf(request.url)),
        ignoreOutgoingRequestHook: (options: RequestOptions) => UNTRACED_PATHS.has(pathOf(options.path ?? undefined)),
        // Calls made outside any request (the recovery sweep's, readiness checks) would each be a trace of one span.
        requireParentforOutgoingSpans: true,
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  sdk.start();
  // The instrumentation patches `http` when it is next required; GreenCart imports it as an ES
  // module, whose default export is that same object, so one require here patches what it uses.
  const require = createRequire(import.meta.url);
  require('http');
  require('https');
  running = sdk;
  return true;
}

/** Sends the spans still held and stops tracing (on shutdown); nothing when tracing is off. */
export async function stopTracing(): Promise<void> {
  const stopping = running;
  running = undefined;
  await stopping?.shutdown();
}

/** The span attribute holding GreenCart's request id (`x-request-id`), by which a trace is found. */
export const REQUEST_ID_ATTRIBUTE = 'greencart.request_id';

/**
 * Names the request's HTTP server span after its route (`POST /graphql` rather than `POST`), as
 * trace views list it, and tags it with the request's id, which Jaeger's search finds by tag.
 */
export function describeServerSpan(route: string, requestIdOf: (res: Response) => string): RequestHandler {
  return (req, res, next) => {
    const span = trace.getActiveSpan();
    span?.updateName(`${req.method} ${route}`);
    span?.setAttributes({ 'http.route': route, [REQUEST_ID_ATTRIBUTE]: requestIdOf(res) });
    next();
  };
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
