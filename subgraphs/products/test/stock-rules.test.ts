import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { LockedProductRow } from '../src/db/stock-reservation-repository.js';
import { MAX_RESERVATION_LINES, stockRules } from '../src/services/stock-service.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

/** The `extensions.code` of the GraphQLError that `run` throws; undefined when it throws none. */
function errorCodeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof GraphQLError) return error.extensions.code as string;
    throw error;
  }
  return undefined;
}

describe('stockRules.reservationId', () => {
  it('answers a UUID in lower case, the form PostgreSQL keys it by', () => {
    expect(stockRules.reservationId(A.toUpperCase())).toBe(A);
  });

  it.each(['', 'order-1', `${A}x`, A.replaceAll('-', '')])('refuses %j as BAD_USER_INPUT', (id) => {
    expect(errorCodeOf(() => stockRules.reservationId(id))).toBe('BAD_USER_INPUT');
  });
});

describe('stockRules.mergeLines', () => {
  it('merges lines for one product (in any letter case), keeping the order of first appearance', () => {
    const merged = stockRules.mergeLines([
      { productId: B, quantity: 1 },
      { productId: A, quantity: 2 },
      { productId: B.toUpperCase(), quantity: 3 },
    ]);
    expect(merged).toEqual([
      { productId: B, quantity: 4 },
      { productId: A, quantity: 2 },
    ]);
  });

  it('keeps an id that is not a UUID as a line of its own (it will be NOT_FOUND)', () => {
    expect(stockRules.mergeLines([{ productId: 'nope', quantity: 1 }])).toEqual([{ productId: 'nope', quantity: 1 }]);
  });

  it.each([
    ['no lines', []],
    ['a zero quantity', [{ productId: A, quantity: 0 }]],
    [
      'a negative quantity',
      [
        { productId: A, quantity: 2 },
        { productId: A, quantity: -1 },
      ],
    ],
    ['too many products', Array.from({ length: MAX_RESERVATION_LINES + 1 }, (_, index) => ({ productId: `p${index}`, quantity: 1 }))],
  ])('refuses %s as BAD_USER_INPUT', (_, lines) => {
    expect(errorCodeOf(() => stockRules.mergeLines(lines))).toBe('BAD_USER_INPUT');
  });
});

describe('stockRules.problems', () => {
  const product = (id: string, stock: number, status: 'ACTIVE' | 'ARCHIVED' = 'ACTIVE'): LockedProductRow => ({ id, sku: `SKU-${id.at(-1)}`, name: 'P', priceCents: 100, stock, status });

  it('finds none when every product is active with enough stock', () => {
    const products = new Map([[A, product(A, 3)]]);
    expect(stockRules.problems([{ productId: A, quantity: 3 }], products)).toEqual([]);
  });

  it('names each line that lacks stock, with what is available, and each missing or archived product', () => {
    const products = new Map([
      [A, product(A, 2)],
      [B, product(B, 9, 'ARCHIVED')],
    ]);
    const problems = stockRules.problems(
      [
        { productId: A, quantity: 3 },
        { productId: B, quantity: 1 },
        { productId: 'nope', quantity: 1 },
      ],
      products,
    );
    expect(problems).toEqual([
      { productId: A, sku: 'SKU-a', code: 'OUT_OF_STOCK', available: 2 },
      { productId: B, sku: 'SKU-b', code: 'NOT_FOUND', available: null },
      { productId: 'nope', sku: null, code: 'NOT_FOUND', available: null },
    ]);
  });
});

describe('stockRules.sameLines', () => {
  it('matches the same products and quantities in any order', () => {
    expect(
      stockRules.sameLines(
        [
          { productId: A, quantity: 1 },
          { productId: B, quantity: 2 },
        ],
        [
          { productId: B, quantity: 2 },
          { productId: A, quantity: 1 },
        ],
      ),
    ).toBe(true);
  });

  it.each([
    ['another quantity', [{ productId: A, quantity: 2 }]],
    ['another product', [{ productId: B, quantity: 1 }]],
    [
      'one more line',
      [
        { productId: A, quantity: 1 },
        { productId: B, quantity: 1 },
      ],
    ],
  ])('tells %s apart', (_, requested) => {
    expect(stockRules.sameLines(requested, [{ productId: A, quantity: 1 }])).toBe(false);
  });
});
