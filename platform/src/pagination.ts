import { badUserInput } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Checks `first` (0 to 100, default 20); anything else is BAD_USER_INPUT. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 0 and ${MAX_PAGE_SIZE}.`, 'first');
  }
  return first;
}

/** Cursors are opaque to clients: base64url of a small JSON tuple. */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor with the given shape; an unreadable one is BAD_USER_INPUT. */
export function decodeCursor<T extends readonly ('string' | 'number')[]>(cursor: string, shape: T): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  const valid = Array.isArray(values) && values.length === shape.length && values.every((value, index) => (shape[index] === 'number' ? Number.isSafeInteger(value) : typeof value === 'string'));
  if (!valid) throw badUserInput('after is not a cursor this list gave out.', 'after');
  return values as { [K in keyof T]: T[K] extends 'string' ? string : number };
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/** Builds edges and pageInfo from rows fetched with `limit first + 1`. */
export function connectionPage<Row>(rows: Row[], first: number, after: string | null | undefined, cursorOf: (row: Row) => string) {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  const pageInfo: PageInfo = {
    hasNextPage: rows.length > first,
    hasPreviousPage: Boolean(after),
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
  };
  return { edges, pageInfo };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** IDs are UUIDs in our databases; anything else cannot name a record and is simply not found. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** Where a page of a list ordered by a timestamp and then an id (newest first) starts. */
export interface TimeKeyset {
  at: Date;
  id: string;
}

/** The cursor of a row in a timestamp-ordered list. */
export function encodeTimeCursor(at: Date, id: string): string {
  return encodeCursor([at.toISOString(), id]);
}

/** Reads a cursor made by encodeTimeCursor; an unreadable one is BAD_USER_INPUT. */
export function decodeTimeCursor(after: string | null | undefined): TimeKeyset | undefined {
  if (!after) return undefined;
  const [at, id] = decodeCursor(after, ['string', 'string'] as const);
  const date = new Date(at);
  if (Number.isNaN(date.getTime()) || !isUuid(id)) throw badUserInput('after is not a cursor this list gave out.', 'after');
  return { at: date, id };
}
