import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { tracedSql } from './database-tracing.js';
import { tracingEnabled } from './tracing.js';

/** The URL of database `name` on the server that `serverUrl` points at. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates database `name` on the server when it does not exist yet (safe to race). */
export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  if (!DATABASE_NAME.test(name)) throw new Error(`Refusing to create database with unusual name "${name}".`);
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [existing] = await admin`select 1 from pg_database where datname = ${name}`;
    if (existing) return;
    await admin.unsafe(`create database "${name}"`).catch((error: { code?: string }) => {
      // 42P04 duplicate_database, 23505 a concurrent create won the race on pg_database's index
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    });
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Drops database `name` (tests only), ending other sessions on it first. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  if (!DATABASE_NAME.test(name)) throw new Error(`Refusing to drop database with unusual name "${name}".`);
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export interface DatabaseOptions<TSchema extends Record<string, unknown>> {
  url: string;
  schema: TSchema;
  /** Pool size per process. */
  maxConnections?: number;
  /** Called with every statement sent; tests count statements with it. */
  onStatement?: (statement: string) => void;
}

export interface Database<TSchema extends Record<string, unknown>> {
  /** The database's URL, for a connection of its own beside the pool. */
  url: string;
  db: PostgresJsDatabase<TSchema>;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** uuid[] (type 2951) as a parameter, e.g. `id = any($1::uuid[])`: each element quoted as PostgreSQL's array text. */
const UUID_ARRAY = {
  to: 2951,
  from: [2951],
  serialize: (ids: readonly string[]) => `{${ids.map((id) => `"${String(id).replace(/[\\"]/g, '\\$&')}"`).join(',')}}`,
  parse: (text: string) => (text === '{}' ? [] : text.slice(1, -1).split(',')),
};

/** Opens a pooled connection with drizzle on top; numeric and bigint columns come back as strings. */
export function openDatabase<TSchema extends Record<string, unknown>>(options: DatabaseOptions<TSchema>): Database<TSchema> {
  const sql = postgres(options.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    connection: { application_name: 'greencart' },
    // postgres.js asks each new connection for the server's array types and drops that query's
    // promise (porsager/postgres#1192): a connection cut during it (a database restart, a
    // terminated backend) rejects with no handler, which ends a Node process. The one array type
    // the services bind, uuid[], is declared instead. (Without the fetch, postgres.js's reserve()
    // never answers on a new connection: applyMigrations holds its lock on a connection of its own.)
    fetch_types: false,
    types: { uuidArray: UUID_ARRAY },
    debug: options.onStatement ? (_connection, statement) => options.onStatement?.(statement) : undefined,
  });
  // Statements are traced only when this process exports traces: otherwise drizzle gets postgres.js itself.
  const url = new URL(options.url);
  const client = tracingEnabled() ? tracedSql(sql, { name: url.pathname.slice(1), host: url.hostname, port: Number(url.port || 5432) }) : sql;
  const db = drizzle(client, { schema: options.schema, casing: 'snake_case' });
  return { url: options.url, db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** Any fixed number: the advisory lock that lets one process at a time migrate a database. */
const MIGRATION_LOCK = 7_304_112_026;

/**
 * Applies the committed drizzle-kit migrations in `folder`; already-applied ones are skipped.
 * Replicas starting together (or a migration Job beside them) take turns under a session advisory
 * lock on the database: drizzle reads what is applied before its transaction, so two at once would
 * both apply the same migration and one would fail.
 */
export async function applyMigrations<TSchema extends Record<string, unknown>>(database: Database<TSchema>, folder: string): Promise<void> {
  const lockHolder = postgres(database.url, { max: 1, onnotice: () => {}, fetch_types: false });
  try {
    await lockHolder`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(database.db, { migrationsFolder: folder });
  } finally {
    await lockHolder`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    await lockHolder.end({ timeout: 5 });
  }
}

/** The PostgreSQL error code of a failed statement, looking through drizzle's wrapper. */
export function postgresErrorCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Object; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Whether a statement failed on a unique constraint (23505), e.g. a concurrent duplicate insert. */
export function isUniqueViolation(error: unknown): boolean {
  return postgresErrorCode(error) === '23505';
}

/** A drizzle handle or a transaction on it: repositories work with either. */
export type Executor<TSchema extends Record<string, unknown>> = PostgresJsDatabase<TSchema> | Parameters<Parameters<PostgresJsDatabase<TSchema>['transaction']>[0]>[0];

/** Creates a subgraph's database on the server when missing, connects, and applies its migrations. */
export async function prepareDatabase<TSchema extends Record<string, unknown>>(options: {
  serverUrl: string;
  name: string;
  schema: TSchema;
  migrationsFolder: string;
  onStatement?: (statement: string) => void;
}): Promise<Database<TSchema>> {
  await ensureDatabase(options.serverUrl, options.name);
  const database = openDatabase({ url: databaseUrl(options.serverUrl, options.name), schema: options.schema, onStatement: options.onStatement });
  await applyMigrations(database, options.migrationsFolder);
  return database;
}

/**
 * A query built and prepared once per database handle rather than on every call. Drizzle turns a
 * query builder into SQL text each time it runs, and on the hottest reads (entities by id, the
 * lines of orders) that cost as much CPU as the round trip to PostgreSQL. Values are passed as
 * `sql.placeholder`s to `execute`.
 */
export function preparedPerExecutor<TExecutor extends object, TQuery>(prepare: (executor: TExecutor) => TQuery): (executor: TExecutor) => TQuery {
  const prepared = new WeakMap<TExecutor, TQuery>();
  return (executor) => {
    let query = prepared.get(executor);
    if (query === undefined) {
      query = prepare(executor);
      prepared.set(executor, query);
    }
    return query;
  };
}
