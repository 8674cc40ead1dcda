import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, connectionPage, decodeCursor, encodeCursor, isUuid, pageSize } from '../src/pagination.js';

/** Runs `action` and returns the GraphQLError it throws; fails the test if it throws anything else or nothing. */
function thrownError(action: () => unknown): GraphQLError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return error as GraphQLError;
  }
  throw new Error('expected a GraphQLError, but nothing was thrown');
}

describe('pageSize', () => {
  it('defaults to 20 when first is not given', () => {
    expect(DEFAULT_PAGE_SIZE).toBe(20);
    expect(pageSize(null)).toBe(20);
    expect(pageSize(undefined)).toBe(20);
  });

  it.each([0, 1, 20, 99, 100])('accepts first = %i', (first) => {
    expect(pageSize(first)).toBe(first);
  });

  it.each([101, 1000, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses first = %d with BAD_USER_INPUT', (first) => {
    const error = thrownError(() => pageSize(first));
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.argumentName).toBe('first');
    expect(error.message).toContain(String(MAX_PAGE_SIZE));
  });
});

describe('cursors', () => {
  const id = '0b7e3c8a-5a4d-4f7e-9a53-2c1f3a9d6e10';

  it('decodes what it encoded, with the values and their types', () => {
    const cursor = encodeCursor(['NAME', 'Organic apples', id]);
    expect(decodeCursor(cursor, ['string', 'string', 'string'] as const)).toEqual(['NAME', 'Organic apples', id]);
    const priced = encodeCursor(['PRICE', 1999, id]);
    expect(decodeCursor(priced, ['string', 'number', 'string'] as const)).toEqual(['PRICE', 1999, id]);
  });

  it('keeps unusual text intact', () => {
    const text = 'Crème brûlée, "quoted" & 🍓';
    expect(decodeCursor(encodeCursor([text]), ['string'] as const)).toEqual([text]);
  });

  it('is opaque: url-safe text that does not show the values as they are', () => {
    const cursor = encodeCursor(['NAME', 'Organic apples', id]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('Organic');
  });

  const badCursors: Array<[string, string]> = [
    ['a number where a string belongs', encodeCursor([7, 1999, id])],
    ['a string where a number belongs', encodeCursor(['PRICE', '1999', id])],
    ['too few values', encodeCursor(['PRICE', 1999])],
    ['too many values', encodeCursor(['PRICE', 1999, id, 'extra'])],
    ['a fractional number', encodeCursor(['PRICE', 19.5, id])],
    ['an unsafe integer', Buffer.from(`["PRICE",${2 ** 60},"${id}"]`).toString('base64url')],
    ['an object instead of a tuple', Buffer.from(JSON.stringify({ 0: 'PRICE', 1: 1999, 2: id, length: 3 })).toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['base64 of text that is not JSON', Buffer.from('hello world').toString('base64url')],
    ['garbage', '!!!not a cursor!!!'],
    ['an empty string', ''],
  ];

  for (const [name, cursor] of badCursors) {
    it(`refuses ${name} with BAD_USER_INPUT`, () => {
      const error = thrownError(() => decodeCursor(cursor, ['string', 'number', 'string'] as const));
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.argumentName).toBe('after');
    });
  }
});

describe('connectionPage', () => {
  const rows = ['a', 'b', 'c'];
  const cursorOf = (row: string) => `cursor-${row}`;

  it('returns the first rows and says there is more when it fetched one extra', () => {
    const page = connectionPage(rows, 2, null, cursorOf);
    expect(page.edges).toEqual([
      { cursor: 'cursor-a', node: 'a' },
      { cursor: 'cursor-b', node: 'b' },
    ]);
    expect(page.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: 'cursor-a', endCursor: 'cursor-b' });
  });

  it('says there is no more when the rows fit the page', () => {
    const page = connectionPage(rows, 3, undefined, cursorOf);
    expect(page.edges.map((edge) => edge.node)).toEqual(['a', 'b', 'c']);
    expect(page.pageInfo.hasNextPage).toBe(false);
    expect(page.pageInfo.endCursor).toBe('cursor-c');
  });

  it('gives null cursors for an empty page', () => {
    expect(connectionPage([], 20, null, cursorOf).pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
  });

  it('with first = 0 returns no edges but still tells whether rows exist', () => {
    const page = connectionPage(['a'], 0, null, cursorOf);
    expect(page.edges).toEqual([]);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, startCursor: null, endCursor: null });
  });

  it('reports a previous page when the client came with a cursor', () => {
    expect(connectionPage(rows, 2, 'cursor-x', cursorOf).pageInfo.hasPreviousPage).toBe(true);
  });
});

describe('isUuid', () => {
  it('accepts UUIDs in either case and nothing else', () => {
    expect(isUuid('0b7e3c8a-5a4d-4f7e-9a53-2c1f3a9d6e10')).toBe(true);
    expect(isUuid('0B7E3C8A-5A4D-4F7E-9A53-2C1F3A9D6E10')).toBe(true);
    for (const id of ['', '42', 'not-a-uuid', '0b7e3c8a5a4d4f7e9a532c1f3a9d6e10', ' 0b7e3c8a-5a4d-4f7e-9a53-2c1f3a9d6e10', "0b7e3c8a-5a4d-4f7e-9a53-2c1f3a9d6e1' or 1=1"]) {
      expect(isUuid(id)).toBe(false);
    }
  });
});
