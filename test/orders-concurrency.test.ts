import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { orderTools, type OrderPayloadView, type OrderTools } from './support/order-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// Orders placed and cancelled at the same moment: never more sold than the stock, one order and
// one stock movement per idempotency key, all lines or none, and no deadlock. After every test,
// each product made here satisfies: initial stock = stock + units held by orders not cancelled.

let supergraph: TestSupergraph;
let tools: OrderTools;
let productsDb: postgres.Sql;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  tools = await orderTools(supergraph);
  productsDb = postgres(supergraph.databaseUrls.products, { max: 1, onnotice: () => {} });
  // A first burst, so that the bursts under test do not also pay for opening every service's
  // database connections and filling their caches.
  const warmUp = await supergraph.registerCustomer();
  const product = await tools.createProduct({ stock: 10 });
  await all(Array.from({ length: 10 }, () => () => tools.placeOrder(warmUp.token, { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }] })));
});
afterEach(async () => {
  if (tools) await tools.expectStockInvariant();
});
afterAll(async () => {
  await productsDb?.end({ timeout: 5 });
  await supergraph?.stop();
});

type Customer = { token: string; id: string };

function registerCustomers(count: number): Promise<Customer[]> {
  return Promise.all(Array.from({ length: count }, () => supergraph.registerCustomer()));
}

/** Fires every request at once and waits for all of them; any top-level error fails the test. */
function all<T>(requests: Array<() => Promise<T>>): Promise<T[]> {
  return Promise.all(requests.map((request) => request()));
}

const codesOf = (payload: OrderPayloadView) => payload.userErrors.map((error) => error.code);

/** Stock movements the products subgraph holds for this product: reservations not given back. */
async function reservationsHolding(productId: string): Promise<number> {
  const [row] = await productsDb<Array<{ count: number }>>`
    select count(*)::int as count
    from stock_reservation_lines line join stock_reservations reservation on reservation.id = line.reservation_id
    where line.product_id = ${productId} and reservation.status = 'RESERVED'`;
  return row!.count;
}

describe('a burst of orders for one product', () => {
  it('gives exactly 10 orders and 30 OUT_OF_STOCK to 40 customers buying one unit each of a product with stock 10', async () => {
    const product = await tools.createProduct({ stock: 10 });
    const customers = await registerCustomers(40);
    const ordersBefore = await tools.orderCount();

    const payloads = await all(customers.map((customer) => () => tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }] })));

    const placed = payloads.filter((payload) => payload.order !== null);
    expect(placed).toHaveLength(10);
    for (const payload of placed) {
      expect(payload.userErrors).toEqual([]);
      expect(payload.order).toMatchObject({ status: 'PENDING_PAYMENT', items: [{ quantity: 1, product: { id: product.id } }] });
    }
    expect(payloads.filter((payload) => payload.order === null).map(codesOf)).toEqual(Array.from({ length: 30 }, () => ['OUT_OF_STOCK']));
    expect(new Set(placed.map((payload) => payload.order!.number)).size).toBe(10);
    expect(await tools.stockOf(product.id)).toBe(0);
    expect(await tools.orderCount()).toBe(ordersBefore + 10);
    expect(await reservationsHolding(product.id)).toBe(10);
  });
});

describe('racing requests with one idempotency key', () => {
  it('give one order and one stock movement; the others answer that order or CONFLICT', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const idempotencyKey = randomUUID();
    const input = { idempotencyKey, items: [{ productId: product.id, quantity: 3 }] };

    const payloads = await all(Array.from({ length: 10 }, () => () => tools.placeOrder(customer.token, input)));

    const orderIds = new Set(payloads.filter((payload) => payload.order).map((payload) => payload.order!.id));
    expect(orderIds.size).toBe(1);
    for (const payload of payloads) {
      if (payload.order) expect(payload.userErrors).toEqual([]);
      else expect(codesOf(payload)).toEqual(['CONFLICT']);
    }
    expect(await tools.stockOf(product.id)).toBe(7);
    expect(await reservationsHolding(product.id)).toBe(1);
    const listed = await supergraph.data(`{ orders { totalCount edges { node { id } } } }`, {}, { token: customer.token });
    expect(listed.orders).toEqual({ totalCount: 1, edges: [{ node: { id: [...orderIds][0] } }] });

    // Once the dust has settled, the key answers the order.
    const later = await tools.placeOrder(customer.token, input);
    expect(later.userErrors).toEqual([]);
    expect(later.order!.id).toBe([...orderIds][0]);
    expect(await tools.stockOf(product.id)).toBe(7);
  });

  it('give one order from the cart, emptying it once', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const data = await supergraph.data(
      `mutation($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code } } }`,
      { input: { productId: product.id, quantity: 4 } },
      { token: customer.token },
    );
    expect(data.addToCart.userErrors).toEqual([]);
    const idempotencyKey = randomUUID();

    const payloads = await all(Array.from({ length: 10 }, () => () => tools.placeOrder(customer.token, { idempotencyKey })));

    const orderIds = new Set(payloads.filter((payload) => payload.order).map((payload) => payload.order!.id));
    expect(orderIds.size).toBe(1);
    for (const payload of payloads.filter((payload) => !payload.order)) expect(codesOf(payload)).toEqual(['CONFLICT']);
    expect(await tools.stockOf(product.id)).toBe(6);
    expect(await reservationsHolding(product.id)).toBe(1);
    const cart = await supergraph.data(`{ cart { totalQuantity items { id } } }`, {}, { token: customer.token });
    expect(cart.cart).toEqual({ totalQuantity: 0, items: [] });
  });
});

describe('racing cart orders with different keys', () => {
  it('order the cart once: one order, one stock movement, the others refused', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const data = await supergraph.data(
      `mutation($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code } } }`,
      { input: { productId: product.id, quantity: 2 } },
      { token: customer.token },
    );
    expect(data.addToCart.userErrors).toEqual([]);

    // A customer pressing "place order" five times, each press with its own key.
    const payloads = await all(Array.from({ length: 5 }, () => () => tools.placeOrder(customer.token, { idempotencyKey: randomUUID() })));

    const placed = payloads.filter((payload) => payload.order !== null);
    expect(placed).toHaveLength(1);
    expect(placed[0]!.order!.items.map((item) => item.quantity)).toEqual([2]);
    for (const payload of payloads.filter((payload) => payload.order === null)) {
      expect(payload.userErrors).toHaveLength(1);
      expect(['CONFLICT', 'CART_EMPTY']).toContain(payload.userErrors[0]!.code);
    }
    expect(await tools.stockOf(product.id)).toBe(8);
    expect(await reservationsHolding(product.id)).toBe(1);
    const mine = await supergraph.data(`{ orders { totalCount } cart { totalQuantity } }`, {}, { token: customer.token });
    expect(mine).toEqual({ orders: { totalCount: 1 }, cart: { totalQuantity: 0 } });
  });
});

describe('all lines or none', () => {
  it('moves no stock at all for a two-line order whose second line lacks stock', async () => {
    const customer = await supergraph.registerCustomer();
    const plenty = await tools.createProduct({ stock: 10 });
    const scarce = await tools.createProduct({ stock: 1 });
    const ordersBefore = await tools.orderCount();

    const payload = await tools.placeOrder(customer.token, {
      idempotencyKey: randomUUID(),
      items: [
        { productId: plenty.id, quantity: 5 },
        { productId: scarce.id, quantity: 2 },
      ],
    });

    expect(payload.order).toBeNull();
    expect(payload.userErrors).toEqual([expect.objectContaining({ code: 'OUT_OF_STOCK', field: 'items.1.quantity' })]);
    expect(payload.userErrors[0]!.message).toContain(scarce.sku);
    expect([await tools.stockOf(plenty.id), await tools.stockOf(scarce.id)]).toEqual([10, 1]);
    expect([await reservationsHolding(plenty.id), await reservationsHolding(scarce.id)]).toEqual([0, 0]);
    expect(await tools.orderCount()).toBe(ordersBefore);
  });

  it('sells no more than either stock, without deadlocks, when customers order two products in opposite line orders', async () => {
    const apples = await tools.createProduct({ stock: 15 });
    const pears = await tools.createProduct({ stock: 12 });
    const customers = await registerCustomers(24);

    const payloads = await all(
      customers.map((customer, index) => () => {
        const lines = [
          { productId: apples.id, quantity: 1 },
          { productId: pears.id, quantity: 1 },
        ];
        return tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: index % 2 === 0 ? lines : lines.reverse() });
      }),
    );

    const placed = payloads.filter((payload) => payload.order !== null);
    const refused = payloads.filter((payload) => payload.order === null);
    // Pears run out first: 12 orders of one of each.
    expect(placed).toHaveLength(12);
    expect(refused.map(codesOf)).toEqual(Array.from({ length: 12 }, () => ['OUT_OF_STOCK']));
    for (const payload of placed) expect(payload.order!.items.map((item) => item.quantity)).toEqual([1, 1]);
    expect([await tools.stockOf(apples.id), await tools.stockOf(pears.id)]).toEqual([3, 0]);
  });
});

describe('cancellations racing with orders', () => {
  it('give the stock of an order back once when it is cancelled twice at the same moment', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 4 }]);

    const payloads = await all([() => tools.cancelOrder(customer.token, order.id), () => tools.cancelOrder(customer.token, order.id), () => tools.cancelOrder(tools.adminToken, order.id)]);

    expect(payloads.filter((payload) => payload.order?.status === 'CANCELLED')).toHaveLength(1);
    expect(payloads.filter((payload) => !payload.order).map(codesOf)).toEqual([['INVALID_STATE'], ['INVALID_STATE']]);
    expect(await tools.stockOf(product.id)).toBe(10);
  });

  it('sell exactly the stock that cancellations give back', async () => {
    const product = await tools.createProduct({ stock: 6 });
    const first = await registerCustomers(6);
    const orders = await all(first.map((customer) => () => tools.placed(customer.token, [{ productId: product.id, quantity: 1 }])));
    expect(await tools.stockOf(product.id)).toBe(0);
    const latecomers = await registerCustomers(10);

    // Three orders are cancelled while ten customers try to buy: at most three can succeed.
    const results = await all<OrderPayloadView>([
      ...orders.slice(0, 3).map((order, index) => () => tools.cancelOrder(first[index]!.token, order.id)),
      ...latecomers.map((customer) => () => tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }] })),
    ]);

    expect(results.slice(0, 3).map((payload) => payload.order?.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    const bought = results.slice(3).filter((payload) => payload.order !== null).length;
    expect(
      results
        .slice(3)
        .filter((payload) => payload.order === null)
        .map(codesOf),
    ).toEqual(Array.from({ length: 10 - bought }, () => ['OUT_OF_STOCK']));
    expect(bought).toBeLessThanOrEqual(3);
    expect(await tools.stockOf(product.id)).toBe(3 - bought);
  });
});
