import { describe, expect, it } from 'vitest';
import { orderStatuses } from '../src/db/schema.js';
import { mergeLines, requestFingerprint, stockProblemError, validatePlaceOrderInput, type Line } from '../src/services/order-placement.js';
import { canCancel, canFulfil, canPay, holdsStock, type PublicOrderStatus } from '../src/services/order-rules.js';

const STATUSES: PublicOrderStatus[] = ['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'];
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';
const ADDRESS = '00000000-0000-4000-8000-0000000000ad';

describe('canCancel', () => {
  it('allows cancelling a pending or paid order, and nothing later', () => {
    expect(STATUSES.filter(canCancel)).toEqual(['PENDING_PAYMENT', 'PAID']);
  });
});

describe('canFulfil', () => {
  it('moves PAID to SHIPPED and SHIPPED to DELIVERED, and nothing else', () => {
    const allowed = STATUSES.flatMap((from) => STATUSES.filter((to) => canFulfil(from, to)).map((to) => `${from}→${to}`));
    expect(allowed).toEqual(['PAID→SHIPPED', 'SHIPPED→DELIVERED']);
  });

  it('never pays or cancels: those have their own operations', () => {
    for (const from of STATUSES) {
      expect(canFulfil(from, 'PAID')).toBe(false);
      expect(canFulfil(from, 'CANCELLED')).toBe(false);
    }
  });
});

describe('canPay', () => {
  it('pays a pending order only', () => {
    expect(STATUSES.filter(canPay)).toEqual(['PENDING_PAYMENT']);
  });
});

describe('holdsStock', () => {
  it('holds the stock of every order but a cancelled one, claims in progress included', () => {
    expect(orderStatuses.filter((status) => !holdsStock(status))).toEqual(['CANCELLED']);
    expect(holdsStock('PLACING')).toBe(true);
  });
});

describe('mergeLines', () => {
  it('merges lines for one product, in the order of first appearance, each keeping the input path of its first line', () => {
    expect(
      mergeLines([
        { productId: B, quantity: 1 },
        { productId: A, quantity: 2 },
        { productId: B, quantity: 3 },
        { productId: C, quantity: 1 },
        { productId: A, quantity: 5 },
      ]),
    ).toEqual([
      { productId: B, quantity: 4, field: 'items.0' },
      { productId: A, quantity: 7, field: 'items.1' },
      { productId: C, quantity: 1, field: 'items.3' },
    ]);
  });

  it('takes a product id in any letter case as the same product, in the lower case the catalogue answers', () => {
    expect(
      mergeLines([
        { productId: A.toUpperCase(), quantity: 1 },
        { productId: A, quantity: 2 },
      ]),
    ).toEqual([{ productId: A, quantity: 3, field: 'items.0' }]);
  });

  it('keeps an id that is not a UUID as it is, to be reported as not found', () => {
    expect(mergeLines([{ productId: 'Not-A-Product', quantity: 1 }])).toEqual([{ productId: 'Not-A-Product', quantity: 1, field: 'items.0' }]);
  });

  it('keeps distinct lines as they are', () => {
    expect(
      mergeLines([
        { productId: A, quantity: 2 },
        { productId: B, quantity: 3 },
      ]),
    ).toEqual([
      { productId: A, quantity: 2, field: 'items.0' },
      { productId: B, quantity: 3, field: 'items.1' },
    ]);
  });

  it('answers no lines for no items', () => {
    expect(mergeLines([])).toEqual([]);
  });

  it('does not change the items it is given', () => {
    const items = [
      { productId: A, quantity: 1 },
      { productId: A, quantity: 2 },
    ];
    mergeLines(items);
    expect(items).toEqual([
      { productId: A, quantity: 1 },
      { productId: A, quantity: 2 },
    ]);
  });
});

describe('requestFingerprint', () => {
  const key = 'key-1';
  const fingerprint = (input: Omit<Parameters<typeof requestFingerprint>[0], 'idempotencyKey'>) => requestFingerprint({ idempotencyKey: key, ...input });

  it('is the same for the same items, whatever their order or split', () => {
    const one = fingerprint({
      items: [
        { productId: A, quantity: 3 },
        { productId: B, quantity: 1 },
      ],
    });
    expect(
      fingerprint({
        items: [
          { productId: B, quantity: 1 },
          { productId: A, quantity: 3 },
        ],
      }),
    ).toBe(one);
    expect(
      fingerprint({
        items: [
          { productId: A, quantity: 1 },
          { productId: B, quantity: 1 },
          { productId: A, quantity: 2 },
        ],
      }),
    ).toBe(one);
  });

  it('is the same whatever the letter case of a product id', () => {
    expect(fingerprint({ items: [{ productId: A.toUpperCase(), quantity: 1 }] })).toBe(fingerprint({ items: [{ productId: A, quantity: 1 }] }));
  });

  it('does not depend on the idempotency key', () => {
    const items = [{ productId: A, quantity: 1 }];
    expect(requestFingerprint({ idempotencyKey: 'one', items })).toBe(requestFingerprint({ idempotencyKey: 'two', items }));
  });

  it('differs for other quantities, other products, an extra line, another address, or the cart', () => {
    const base = fingerprint({ items: [{ productId: A, quantity: 2 }] });
    const others = [
      fingerprint({ items: [{ productId: A, quantity: 3 }] }),
      fingerprint({ items: [{ productId: B, quantity: 2 }] }),
      fingerprint({
        items: [
          { productId: A, quantity: 2 },
          { productId: B, quantity: 1 },
        ],
      }),
      fingerprint({ items: [{ productId: A, quantity: 2 }], shippingAddressId: ADDRESS }),
      fingerprint({}),
      fingerprint({ items: null }),
    ];
    for (const other of others) expect(other).not.toBe(base);
  });

  it('tells a cart order to one address from a cart order to none', () => {
    expect(fingerprint({})).toBe(fingerprint({ items: null, shippingAddressId: null }));
    expect(fingerprint({ shippingAddressId: ADDRESS })).not.toBe(fingerprint({}));
  });

  it('does not confuse quantities across products', () => {
    // A:1 + B:2 must not look like A:2 + B:1.
    expect(
      fingerprint({
        items: [
          { productId: A, quantity: 1 },
          { productId: B, quantity: 2 },
        ],
      }),
    ).not.toBe(
      fingerprint({
        items: [
          { productId: A, quantity: 2 },
          { productId: B, quantity: 1 },
        ],
      }),
    );
  });

  it('is a short opaque digest, not the request itself', () => {
    const digest = fingerprint({ items: [{ productId: A, quantity: 1 }] });
    expect(digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digest).not.toContain(A);
  });
});

describe('validatePlaceOrderInput', () => {
  const items = [{ productId: A, quantity: 1 }];

  it('accepts a key of 1 to 255 characters of any kind but control ones', () => {
    for (const idempotencyKey of ['k', 'k'.repeat(255), 'order 7 für Zoë', 'ключ-\u{1F511}']) {
      expect(validatePlaceOrderInput({ idempotencyKey, items })).toEqual([]);
    }
  });

  it.each([
    ['an ESC sequence', 'key\u001B[0m', 'U+001B'],
    ['SOH', '\u0001', 'U+0001'],
    ['DEL', 'key\u007F', 'U+007F'],
    ['a C1 control', 'key\u0080', 'U+0080'],
    ['a newline trimming would drop', 'key\n', 'U+000A'],
  ])('refuses a key with %s on "idempotencyKey", saying so', (_, idempotencyKey, codePoint) => {
    expect(validatePlaceOrderInput({ idempotencyKey, items })).toEqual([
      { code: 'INVALID_INPUT', field: 'idempotencyKey', message: `The idempotency key must not contain control characters (${codePoint}).` },
    ]);
  });

  it('reports a bad key and a bad line at once', () => {
    const errors = validatePlaceOrderInput({ idempotencyKey: '\u0007', items: [{ productId: A, quantity: 0 }] });
    expect(errors.map(({ code, field }) => [code, field])).toEqual([
      ['INVALID_INPUT', 'idempotencyKey'],
      ['INVALID_INPUT', 'items.0.quantity'],
    ]);
  });
});

describe('stockProblemError', () => {
  const itemLines: Line[] = [
    { productId: A, quantity: 1, field: 'items.0' },
    { productId: B, quantity: 2, field: 'items.1' },
  ];
  const cartLines: Line[] = itemLines.map((line) => ({ ...line, field: null }));

  it('names an archived product of an explicit line by its sku, on that line', () => {
    expect(stockProblemError({ productId: B, sku: 'JAM-1', code: 'NOT_FOUND', available: null }, itemLines)).toEqual({
      code: 'NOT_FOUND',
      field: 'items.1.productId',
      message: 'Product JAM-1 is no longer in the catalogue.',
    });
  });

  it('names a product unknown to the catalogue by its id', () => {
    expect(stockProblemError({ productId: A, sku: null, code: 'NOT_FOUND', available: null }, itemLines)).toEqual({
      code: 'NOT_FOUND',
      field: 'items.0.productId',
      message: `Product ${A} is not in the catalogue.`,
    });
  });

  it('names an archived cart product by its sku, with no field, and says what to do', () => {
    expect(stockProblemError({ productId: B, sku: 'JAM-1', code: 'NOT_FOUND', available: null }, cartLines)).toEqual({
      code: 'NOT_FOUND',
      field: null,
      message: 'Product JAM-1 is no longer in the catalogue: remove it from the cart to order the rest.',
    });
    expect(stockProblemError({ productId: A, sku: null, code: 'NOT_FOUND', available: null }, cartLines).message).toBe(
      `Product ${A} is not in the catalogue: remove it from the cart to order the rest.`,
    );
  });

  it("names a product short of stock by its sku, on the line's quantity", () => {
    expect(stockProblemError({ productId: A, sku: 'OAT-1', code: 'OUT_OF_STOCK', available: 2 }, itemLines)).toEqual({
      code: 'OUT_OF_STOCK',
      field: 'items.0.quantity',
      message: 'Not enough stock of OAT-1: only 2 left.',
    });
    expect(stockProblemError({ productId: A, sku: 'OAT-1', code: 'OUT_OF_STOCK', available: 0 }, cartLines)).toEqual({
      code: 'OUT_OF_STOCK',
      field: null,
      message: 'Not enough stock of OAT-1: none left.',
    });
  });
});
