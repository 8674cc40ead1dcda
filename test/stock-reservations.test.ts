import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_TOKEN_HEADER } from '@greencart/platform';
import { graphqlClient, type GraphQLResponse } from './support/graphql.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The products subgraph's internal stock operations, as the orders service calls them: directly,
// with its service credentials. All lines or none, never below zero, safe to retry under one
// reservation id, and invisible through the gateway.

let supergraph: TestSupergraph;
let adminToken: string;
let categoryId: string;
let productsDb: postgres.Sql;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  adminToken = await supergraph.adminToken();
  const data = await supergraph.data(`mutation($input: CreateCategoryInput!) { createCategory(input: $input) { category { id } } }`, { input: { name: 'Stock test category' } }, { token: adminToken });
  categoryId = data.createCategory.category.id;
  productsDb = postgres(supergraph.databaseUrls.products, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await productsDb?.end({ timeout: 5 });
  await supergraph?.stop();
});

// ------------------------------------------------------------------ documents

const RESERVE = /* GraphQL */ `
  mutation ReserveStock($reservationId: ID!, $lines: [StockLineInput!]!) {
    reserveStock(reservationId: $reservationId, lines: $lines) {
      reservationId
      reserved
      released
      lines {
        productId
        sku
        name
        quantity
        unitPrice {
          amount
          currencyCode
        }
      }
      problems {
        productId
        sku
        code
        available
      }
    }
  }
`;
const RELEASE = /* GraphQL */ `
  mutation ReleaseStock($reservationId: ID!) {
    releaseStock(reservationId: $reservationId) {
      reservationId
      released
    }
  }
`;

// ------------------------------------------------------------------ helpers

interface Line {
  productId: string;
  quantity: number;
}
interface Reservation {
  reservationId: string;
  reserved: boolean;
  released: boolean;
  lines: Array<{ productId: string; sku: string; name: string; quantity: number; unitPrice: { amount: string; currencyCode: string } }>;
  problems: Array<{ productId: string; sku: string | null; code: string; available: number | null }>;
}
interface Product {
  id: string;
  sku: string;
  name: string;
}

/** A request straight to the products subgraph, carrying `serviceName`'s service credentials. */
async function asService<Data>(serviceName: 'gateway' | 'orders', query: string, variables: Record<string, unknown>): Promise<GraphQLResponse<Data>> {
  const token = await supergraph.serviceToken(serviceName, 'products');
  return graphqlClient(`${supergraph.subgraphUrls.products}/graphql`).request<Data>(query, variables, { headers: { [SERVICE_TOKEN_HEADER]: token } });
}

/** reserveStock as orders calls it; fails the test on any top-level error. */
async function reserve(reservationId: string, lines: Line[]): Promise<Reservation> {
  const response = await asService<{ reserveStock: Reservation }>('orders', RESERVE, { reservationId, lines });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data.reserveStock;
}

async function release(reservationId: string): Promise<{ reservationId: string; released: boolean }> {
  const response = await asService<{ releaseStock: { reservationId: string; released: boolean } }>('orders', RELEASE, { reservationId });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data.releaseStock;
}

let sequence = 0;
/** Every product created here, with the stock it started with (for the invariant at the end). */
const initialStock = new Map<string, number>();

async function createProduct(stock: number, price = '9.99'): Promise<Product> {
  sequence += 1;
  const input = { sku: `STOCK-${sequence}`, name: `Stock test product ${sequence}`, price, stock, categoryId };
  const data = await supergraph.data(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id sku name } userErrors { code message } } }`,
    { input },
    { token: adminToken },
  );
  expect(data.createProduct.userErrors).toEqual([]);
  initialStock.set(data.createProduct.product.id, stock);
  return data.createProduct.product;
}

/** Stock as stored, archived products included (the API hides those). */
async function stockOf(productId: string): Promise<number> {
  const [row] = await productsDb<Array<{ stock: number }>>`select stock from products where id = ${productId}`;
  return row!.stock;
}

async function reservationCount(reservationId: string): Promise<number> {
  const [row] = await productsDb<Array<{ count: number }>>`select count(*)::int as count from stock_reservations where id = ${reservationId}`;
  return row!.count;
}

// ------------------------------------------------------------------ reserving

describe('reserveStock', () => {
  it('takes the stock of every line and answers the sku, name and price of the moment', async () => {
    const oats = await createProduct(10, '12.34');
    const honey = await createProduct(5, '7.00');
    const reservationId = randomUUID();

    const reservation = await reserve(reservationId, [
      { productId: oats.id, quantity: 3 },
      { productId: honey.id, quantity: 5 },
    ]);

    expect(reservation).toEqual({
      reservationId,
      reserved: true,
      released: false,
      lines: [
        { productId: oats.id, sku: oats.sku, name: oats.name, quantity: 3, unitPrice: { amount: '12.34', currencyCode: 'USD' } },
        { productId: honey.id, sku: honey.sku, name: honey.name, quantity: 5, unitPrice: { amount: '7.00', currencyCode: 'USD' } },
      ],
      problems: [],
    });
    expect(await stockOf(oats.id)).toBe(7);
    expect(await stockOf(honey.id)).toBe(0);
    const data = await supergraph.data(`query($id: ID!) { product(id: $id) { stock inStock } }`, { id: honey.id });
    expect(data.product).toEqual({ stock: 0, inStock: false });
  });

  it('merges lines for the same product', async () => {
    const product = await createProduct(10);
    const reservation = await reserve(randomUUID(), [
      { productId: product.id, quantity: 2 },
      { productId: product.id, quantity: 3 },
    ]);
    expect(reservation.reserved).toBe(true);
    expect(reservation.lines.map((line) => [line.productId, line.quantity])).toEqual([[product.id, 5]]);
    expect(await stockOf(product.id)).toBe(5);
  });

  it('takes nothing more when the same reservation id comes again, and answers the recorded lines and prices', async () => {
    const product = await createProduct(10, '3.50');
    const reservationId = randomUUID();
    const first = await reserve(reservationId, [{ productId: product.id, quantity: 4 }]);
    await supergraph.data(`mutation($id: ID!) { updateProduct(id: $id, input: { price: "4.00" }) { userErrors { code } } }`, { id: product.id }, { token: adminToken });

    const again = await reserve(reservationId, [{ productId: product.id, quantity: 4 }]);

    expect(again).toEqual(first);
    expect(again.lines[0]!.unitPrice.amount).toBe('3.50');
    expect(await stockOf(product.id)).toBe(6);
  });

  it('refuses the same reservation id with other lines (BAD_USER_INPUT) and changes nothing', async () => {
    const product = await createProduct(10);
    const reservationId = randomUUID();
    await reserve(reservationId, [{ productId: product.id, quantity: 2 }]);

    const response = await asService('orders', RESERVE, { reservationId, lines: [{ productId: product.id, quantity: 3 }] });

    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await stockOf(product.id)).toBe(8);
  });

  it('moves no stock at all when one line of two is out of stock, and names that line', async () => {
    const plenty = await createProduct(10);
    const scarce = await createProduct(2);
    const reservationId = randomUUID();

    const reservation = await reserve(reservationId, [
      { productId: plenty.id, quantity: 1 },
      { productId: scarce.id, quantity: 3 },
    ]);

    expect(reservation).toEqual({
      reservationId,
      reserved: false,
      released: false,
      lines: [],
      problems: [{ productId: scarce.id, sku: scarce.sku, code: 'OUT_OF_STOCK', available: 2 }],
    });
    expect(await stockOf(plenty.id)).toBe(10);
    expect(await stockOf(scarce.id)).toBe(2);
    expect(await reservationCount(reservationId)).toBe(0);

    // Nothing was recorded, so the same id may try again once there is stock.
    await supergraph.data(`mutation($id: ID!) { updateStock(productId: $id, stock: 3) { userErrors { code } } }`, { id: scarce.id }, { token: adminToken });
    initialStock.set(scarce.id, 3);
    const retried = await reserve(reservationId, [
      { productId: plenty.id, quantity: 1 },
      { productId: scarce.id, quantity: 3 },
    ]);
    expect(retried.reserved).toBe(true);
    expect(await stockOf(scarce.id)).toBe(0);
  });

  it('answers NOT_FOUND for unknown and archived products, and takes nothing', async () => {
    const available = await createProduct(10);
    const archived = await createProduct(10);
    await supergraph.data(`mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }`, { id: archived.id }, { token: adminToken });
    const unknown = randomUUID();

    const reservation = await reserve(randomUUID(), [
      { productId: available.id, quantity: 1 },
      { productId: unknown, quantity: 1 },
      { productId: archived.id, quantity: 1 },
      { productId: 'not-a-product-id', quantity: 1 },
    ]);

    expect(reservation.reserved).toBe(false);
    expect(reservation.problems).toEqual([
      { productId: unknown, sku: null, code: 'NOT_FOUND', available: null },
      { productId: archived.id, sku: archived.sku, code: 'NOT_FOUND', available: null },
      { productId: 'not-a-product-id', sku: null, code: 'NOT_FOUND', available: null },
    ]);
    expect(await stockOf(available.id)).toBe(10);
    expect(await stockOf(archived.id)).toBe(10);
  });

  it('refuses malformed arguments with BAD_USER_INPUT', async () => {
    const product = await createProduct(10);
    const cases: Array<Record<string, unknown>> = [
      { reservationId: 'order-1', lines: [{ productId: product.id, quantity: 1 }] },
      { reservationId: randomUUID(), lines: [] },
      { reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 0 }] },
      {
        reservationId: randomUUID(),
        lines: [
          { productId: product.id, quantity: 1 },
          { productId: product.id, quantity: -1 },
        ],
      },
    ];
    for (const variables of cases) {
      const response = await asService('orders', RESERVE, variables);
      expect(response.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
    const response = await asService('orders', RELEASE, { reservationId: 'order-1' });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await stockOf(product.id)).toBe(10);
  });

  it('costs the same number of SQL statements whatever the number of lines', async () => {
    const products = await Promise.all([createProduct(10), createProduct(10), createProduct(10)]);
    supergraph.statements.products.reset();
    await reserve(randomUUID(), [{ productId: products[0]!.id, quantity: 1 }]);
    const oneLine = supergraph.statements.products.count;

    supergraph.statements.products.reset();
    await reserve(
      randomUUID(),
      products.map((product) => ({ productId: product.id, quantity: 1 })),
    );
    expect(supergraph.statements.products.count).toBe(oneLine);
  });
});

// ------------------------------------------------------------------ releasing

describe('releaseStock', () => {
  it('gives the stock back once, however often it is called', async () => {
    const product = await createProduct(10);
    const other = await createProduct(10);
    const reservationId = randomUUID();
    await reserve(reservationId, [
      { productId: product.id, quantity: 4 },
      { productId: other.id, quantity: 1 },
    ]);

    expect(await release(reservationId)).toEqual({ reservationId, released: true });
    expect(await release(reservationId)).toEqual({ reservationId, released: true });

    expect(await stockOf(product.id)).toBe(10);
    expect(await stockOf(other.id)).toBe(10);
  });

  it('answers a released reservation id as released and takes nothing', async () => {
    const product = await createProduct(10);
    const reservationId = randomUUID();
    await reserve(reservationId, [{ productId: product.id, quantity: 4 }]);
    await release(reservationId);

    const again = await reserve(reservationId, [{ productId: product.id, quantity: 4 }]);

    expect(again).toMatchObject({ reserved: false, released: true, lines: [], problems: [] });
    expect(await stockOf(product.id)).toBe(10);
  });

  it('remembers the release of an unknown id, so that a late reserve with it takes nothing', async () => {
    const product = await createProduct(10);
    const reservationId = randomUUID();

    expect(await release(reservationId)).toEqual({ reservationId, released: true });
    const late = await reserve(reservationId, [{ productId: product.id, quantity: 4 }]);

    expect(late).toEqual({ reservationId, reserved: false, released: true, lines: [], problems: [] });
    expect(await stockOf(product.id)).toBe(10);
  });

  it('gives stock back to a product archived since it was reserved', async () => {
    const product = await createProduct(10);
    const reservationId = randomUUID();
    await reserve(reservationId, [{ productId: product.id, quantity: 6 }]);
    await supergraph.data(`mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }`, { id: product.id }, { token: adminToken });

    await release(reservationId);

    expect(await stockOf(product.id)).toBe(10);
  });
});

// ------------------------------------------------------------------ who may call

describe('access', () => {
  // Accounts and products hold no key products accepts: test/service-keys.test.ts shows them refused with HTTP 401.
  it('refuses the gateway, which may call products but not its stock operations, with FORBIDDEN', async () => {
    const product = await createProduct(10);
    for (const serviceName of ['gateway'] as const) {
      const reserved = await asService<{ reserveStock: Reservation | null } | null>(serviceName, RESERVE, { reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 1 }] });
      expect(reserved.errors?.[0]?.extensions?.code, serviceName).toBe('FORBIDDEN');
      expect(reserved.data?.reserveStock ?? null).toBeNull();
      const released = await asService(serviceName, RELEASE, { reservationId: randomUUID() });
      expect(released.errors?.[0]?.extensions?.code, serviceName).toBe('FORBIDDEN');
    }
    expect(await stockOf(product.id)).toBe(10);
  });

  it('is not part of the API the gateway serves', async () => {
    const product = await createProduct(10);
    const reserved = await supergraph.request(RESERVE, { reservationId: randomUUID(), lines: [{ productId: product.id, quantity: 1 }] }, { token: adminToken });
    expect(reserved.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const released = await supergraph.request(RELEASE, { reservationId: randomUUID() }, { token: adminToken });
    expect(released.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const introspected = await supergraph.data(`{ result: __type(name: "StockReservationResult") { name } line: __type(name: "StockLineInput") { name } }`);
    expect(introspected).toEqual({ result: null, line: null });
    expect(await stockOf(product.id)).toBe(10);
  });
});

// ------------------------------------------------------------------ concurrency

describe('concurrent reservations', () => {
  it('sells exactly the stock when 40 single-unit reservations race for 10 units', async () => {
    const product = await createProduct(10);

    const results = await Promise.all(Array.from({ length: 40 }, () => reserve(randomUUID(), [{ productId: product.id, quantity: 1 }])));

    expect(results.filter((result) => result.reserved)).toHaveLength(10);
    const refused = results.filter((result) => !result.reserved);
    expect(refused).toHaveLength(30);
    for (const result of refused) expect(result.problems).toEqual([{ productId: product.id, sku: product.sku, code: 'OUT_OF_STOCK', available: 0 }]);
    expect(await stockOf(product.id)).toBe(0);
  });

  it('moves stock once when 10 calls with one reservation id race', async () => {
    const product = await createProduct(10);
    const reservationId = randomUUID();

    const results = await Promise.all(Array.from({ length: 10 }, () => reserve(reservationId, [{ productId: product.id, quantity: 3 }])));

    for (const result of results) {
      expect(result).toMatchObject({ reservationId, reserved: true, released: false, problems: [] });
      expect(result.lines).toEqual(results[0]!.lines);
    }
    expect(await stockOf(product.id)).toBe(7);
    expect(await reservationCount(reservationId)).toBe(1);
  });

  it('neither deadlocks nor oversells when two-line reservations name the same products in opposite orders', async () => {
    const first = await createProduct(30);
    const second = await createProduct(30);

    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => {
        const lines = [
          { productId: first.id, quantity: 1 },
          { productId: second.id, quantity: 1 },
        ];
        return reserve(randomUUID(), index % 2 === 0 ? lines : lines.reverse());
      }),
    );

    expect(results.filter((result) => result.reserved)).toHaveLength(30);
    expect(await stockOf(first.id)).toBe(0);
    expect(await stockOf(second.id)).toBe(0);
  });

  it('takes stock for no reservation whose release races its reserve', async () => {
    const product = await createProduct(20);

    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const reservationId = randomUUID();
        await Promise.all([reserve(reservationId, [{ productId: product.id, quantity: 1 }]), release(reservationId)]);
      }),
    );

    // Whichever came first, each id ends released: either its stock came back or it never left.
    expect(await stockOf(product.id)).toBe(20);
  });

  it('keeps initial stock = stock now + the units of unreleased reservations, for every product', async () => {
    const rows = await productsDb<Array<{ id: string; stock: number; reserved: number }>>`
      select p.id, p.stock, coalesce(sum(l.quantity) filter (where r.status = 'RESERVED'), 0)::int as reserved
      from products p
      left join stock_reservation_lines l on l.product_id = p.id
      left join stock_reservations r on r.id = l.reservation_id
      group by p.id, p.stock`;
    expect(rows.length).toBe(initialStock.size);
    for (const row of rows) {
      expect(row.stock, row.id).toBeGreaterThanOrEqual(0);
      expect(row.stock + row.reserved, row.id).toBe(initialStock.get(row.id));
    }
  });
});
