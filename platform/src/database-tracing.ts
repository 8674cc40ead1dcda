import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type postgres from 'postgres';

/**
 * PostgreSQL spans for the statements drizzle sends through postgres.js, which has no OpenTelemetry
 * instrumentation of its own: one client span per statement, named `SELECT greencart_orders`,
 * with the statement's text (drizzle sends values as parameters, never in the text).
 */
const tracer = trace.getTracer('@greencart/platform/postgres');

/** The database a handle talks to, for its spans' names and attributes. */
export interface TracedDatabase {
  name: string;
  host: string;
  port: number;
}

type SqlHandle = postgres.Sql | postgres.TransactionSql;

/**
 * The same postgres.js handle with every `unsafe` statement (drizzle's only way in) traced, in
 * transactions and savepoints too. Tagged-template statements (readiness, migration locks) and
 * LISTEN pass as they are.
 */
export function tracedSql<THandle extends SqlHandle>(sql: THandle, database: TracedDatabase): THandle {
  return new Proxy(sql, {
    get(target, property) {
      if (property === 'unsafe') {
        return (text: string, parameters?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) => tracedStatement(target.unsafe(text, parameters, options), text, database);
      }
      if (property === 'begin' || property === 'savepoint') {
        // The callback gets the transaction's own handle, traced the same way.
        return (...args: unknown[]) => {
          const callback = args.pop() as (transaction: postgres.TransactionSql) => unknown;
          const begin = Reflect.get(target, property) as (...all: unknown[]) => Promise<unknown>;
          return begin(...args, (transaction: postgres.TransactionSql) => callback(tracedSql(transaction, database)));
        };
      }
      return Reflect.get(target, property);
    },
  });
}

/** A statement as drizzle uses it (awaited, or `.values()` then awaited), sent only once awaited, as postgres.js does. */
interface PendingStatement<TResult> extends PromiseLike<TResult> {
  values(): PendingStatement<TResult>;
}

function tracedStatement<TResult>(query: postgres.PendingQuery<postgres.Row[]> & PromiseLike<TResult>, text: string, database: TracedDatabase): PendingStatement<TResult> {
  const statement: PendingStatement<TResult> = {
    values() {
      // Switches the pending query to rows as arrays; it runs only once awaited, below.
      void query.values();
      return statement;
    },
    then(onFulfilled, onRejected) {
      return run(query, text, database).then(onFulfilled, onRejected);
    },
  };
  return statement;
}

async function run<TResult>(query: PromiseLike<TResult>, text: string, database: TracedDatabase): Promise<TResult> {
  // Statements outside any request (the recovery sweep's polling, migrations) would each be a trace of one span.
  if (!trace.getActiveSpan()) return query;
  const operation = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
  const attributes: Attributes = {
    'db.system.name': 'postgresql',
    // The older name, which Jaeger and many backends still read.
    'db.system': 'postgresql',
    'db.namespace': database.name,
    'db.operation.name': operation,
    'db.query.text': text,
    'server.address': database.host,
    'server.port': database.port,
  };
  return tracer.startActiveSpan(`${operation} ${database.name}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await query;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') span.setAttribute('db.response.status_code', code);
      span.setAttribute('error.type', typeof code === 'string' ? code : error instanceof Error ? error.name : 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
