import { trace } from '@opentelemetry/api';
import { redactFields, redactText } from './log-redaction.js';
import { destination as pinoDestination, pino, stdTimeFunctions, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { prettyFactory } from 'pino-pretty';

/** Structured logging (pino): one JSON line per event on stderr, filtered by LOG_LEVEL. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (such as `{ requestId }` for one request). */
  child(fields: Record<string, unknown>): Logger;
}

/** `json` for machines (the default); `pretty` for a person at a terminal (`npm start` sets it there). */
export type LogFormat = 'json' | 'pretty';

/** Where log lines go (one JSON line each, without its newline): stderr, or (in tests) a collector. */
export type LogSink = (line: string) => void;

export interface LoggerOptions {
  /** Add the active span's `trace_id` and `span_id` to each line (when the process exports traces). */
  traceIds?: boolean;
}

/** Creates a service's logger; every line carries `time`, `level`, `service` and `message`. */
export function createLogger(service: string, level: LogLevel = 'info', format: LogFormat = 'json', sink?: LogSink, loggerOptions: LoggerOptions = {}): Logger {
  const options = {
    level,
    base: { service },
    messageKey: 'message',
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // Only with tracing on: without it no line pays for looking up a span.
    ...(loggerOptions.traceIds ? { mixin: traceIdsOfActiveSpan } : {}),
  };
  return wrap(pino(options, destination(format, sink)));
}

/** The active span's ids, which find a log line's trace (and a trace's lines) in the tracing backend. */
function traceIdsOfActiveSpan(): Record<string, string> {
  const span = trace.getActiveSpan();
  // A new object each time: pino merges the line's fields into what the mixin returns.
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

function destination(format: LogFormat, sink: LogSink | undefined): DestinationStream {
  // The common case stays on pino's own fast path: JSON straight to stderr, written synchronously
  // so that nothing is lost when the process exits.
  if (format === 'json' && !sink) return pinoDestination({ fd: 2, sync: true });
  const write = sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      write(format === 'pretty' ? prettyLine(line) : line);
    },
  };
}

/**
 * Every line's fields and message pass through redaction (log-redaction.ts) once its level is
 * enabled, so no caller can log a secret by mistake; a child's fields are redacted once, when made.
 */
function wrap(logger: PinoLogger): Logger {
  const write = (level: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (!logger.isLevelEnabled(level)) return;
    logger[level](fields ? redactFields(ownFields(fields)) : {}, redactText(message));
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => wrap(logger.child(redactFields(ownFields(fields)))),
  };
}

const RESERVED_KEYS = new Set(['time', 'level', 'service', 'message', 'trace_id', 'span_id']);

/** A field named like one of the line's own keys is renamed (`_level`), so a line never holds a key twice. */
function ownFields(fields: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(fields).some((key) => RESERVED_KEYS.has(key))) return fields;
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [RESERVED_KEYS.has(key) ? `_${key}` : key, value]));
}

/** pino's own pretty printer, set for GreenCart's lines: `[12:34:56] INFO: gateway listening {"url":"http://…"}`. */
const formatPretty = prettyFactory({
  messageKey: 'message',
  translateTime: 'SYS:HH:MM:ss',
  ignore: 'service',
  messageFormat: '{service} {message}',
  singleLine: true,
  colorize: Boolean(process.stderr.isTTY),
});

/** A JSON log line as a person reads it (pino-pretty), or the line as it is when it is not JSON. */
export function prettyLine(jsonLine: string): string {
  if (!jsonLine.startsWith('{')) return jsonLine;
  return formatPretty(jsonLine).replace(/\n$/, '');
}

/**
 * Fields that describe an error for a log line (never for a client). A failed SQL statement is
 * logged with its text and the database's reason, never with its parameters: drizzle's message
 * lists them, and they hold what customers typed (emails, addresses) and their client addresses.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const original = (error as { originalError?: unknown }).originalError;
    const cause = original instanceof Error ? original : error;
    const { query, params } = cause as { query?: unknown; params?: unknown };
    if (typeof query === 'string' && Array.isArray(params)) {
      const reason = cause.cause instanceof Error ? cause.cause.message : undefined;
      const message = `Failed query: ${query}`;
      return { error: message, reason, stack: cause.stack?.replace(cause.message, message) };
    }
    return { error: cause.message, stack: cause.stack };
  }
  return { error: String(error) };
}
