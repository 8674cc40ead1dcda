import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCrash, type FaultInjector, type FaultPoint } from '@greencart/orders';
import { ADD_TO_CART, CART } from './support/cart-operations.js';
import { orderTools, PLACE_ORDER, type OrderTools } from './support/order-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// Placing an order that fails after its stock was taken: the stock is given back and no order is
// left, or, when the process "dies" instead, the recovery sweep gives it back later. After every
// test, each product made here satisfies: initial stock = stock + units held by orders not cancelled.

/** Fails placing at the armed point, once armed; disarmed after each test. */
class ControlledFaults implements FaultInjector {
  private armed: { point: FaultPoint; error: () => Error } | null = null;
  /** How often each point was reached while armed, so a test knows its fault really fired. */
  fired = 0;

  arm(point: FaultPoint, error: () => Error): void {
    this.armed = { point, error };
    this.fired = 0;
  }

  disarm(): void {
    this.armed = null;
  }

  async at(point: FaultPoint): Promise<void> {
    if (this.armed?.point !== point) return;
    this.fired += 1;
    throw this.armed.error();
  }
}

const faults = new ControlledFaults();
let supergraph: TestSupergraph;
let tools: OrderTools;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false, faults });
  tools = await orderTools(supergraph);
});
afterEach(async () => {
  faults.disarm();
  if (tools) await tools.expectStockInvariant();
});
afterAll(() => supergraph?.stop());

type Customer = { token: string; id: string };

/** placeOrder as a client sends it, top-level errors and all. */
function placeOrderRequest(customer: Customer, input: Record<string, unknown>) {
  return supergraph.request(PLACE_ORDER, { input }, { token: customer.token });
}

async function cartOf(customer: Customer) {
  return (await supergraph.data(CART, {}, { token: customer.token })).cart;
}

async function ordersOfCustomer(customer: Customer): Promise<number> {
  return (await supergraph.data(`{ orders(first: 0) { totalCount } }`, {}, { token: customer.token })).orders.totalCount;
}

/** Asserts the request failed as an unexpected failure would: a generic top-level error and no payload. */
function expectInternalError(response: Awaited<ReturnType<typeof placeOrderRequest>>): void {
  expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
  expect(response.errors?.[0]?.message).not.toMatch(/injected|simulated/i);
  expect(response.data?.placeOrder ?? null).toBeNull();
}

const FAULT_POINTS: FaultPoint[] = ['afterReserve', 'beforeCommit'];

describe('a failure after the stock was taken', () => {
  for (const point of FAULT_POINTS) {
    it(`at ${point}: fails the request, gives the stock back and leaves no order; the same key then places the order`, async () => {
      const customer = await supergraph.registerCustomer();
      const a = await tools.createProduct({ stock: 10 });
      const b = await tools.createProduct({ stock: 5 });
      const ordersBefore = await tools.orderCount();
      const input = {
        idempotencyKey: randomUUID(),
        items: [
          { productId: a.id, quantity: 3 },
          { productId: b.id, quantity: 5 },
        ],
      };

      faults.arm(point, () => new Error(`injected failure at ${point}`));
      expectInternalError(await placeOrderRequest(customer, input));
      expect(faults.fired).toBe(1);

      expect([await tools.stockOf(a.id), await tools.stockOf(b.id)]).toEqual([10, 5]);
      expect(await tools.orderCount()).toBe(ordersBefore);
      expect(await ordersOfCustomer(customer)).toBe(0);
      // Nothing was left for the sweep to put right.
      expect(await supergraph.sweepOrders()).toBe(0);

      faults.disarm();
      const retried = await tools.placeOrder(customer.token, input);
      expect(retried.userErrors).toEqual([]);
      expect(retried.order!.items.map((item) => [item.product?.id, item.quantity])).toEqual([
        [a.id, 3],
        [b.id, 5],
      ]);
      expect([await tools.stockOf(a.id), await tools.stockOf(b.id)]).toEqual([7, 0]);
      expect(await tools.orderCount()).toBe(ordersBefore + 1);
    });

    it(`at ${point}: leaves a cart order's cart as it was`, async () => {
      const customer = await supergraph.registerCustomer();
      const product = await tools.createProduct({ stock: 10 });
      const added = await supergraph.data(ADD_TO_CART, { input: { productId: product.id, quantity: 4 } }, { token: customer.token });
      expect(added.addToCart.userErrors).toEqual([]);
      const cartBefore = await cartOf(customer);
      const ordersBefore = await tools.orderCount();
      const input = { idempotencyKey: randomUUID() };

      faults.arm(point, () => new Error(`injected failure at ${point}`));
      expectInternalError(await placeOrderRequest(customer, input));
      expect(faults.fired).toBe(1);

      expect(await cartOf(customer)).toEqual(cartBefore);
      expect(await tools.stockOf(product.id)).toBe(10);
      expect(await tools.orderCount()).toBe(ordersBefore);

      faults.disarm();
      const retried = await tools.placeOrder(customer.token, input);
      expect(retried.userErrors).toEqual([]);
      expect(retried.order!.items.map((item) => item.quantity)).toEqual([4]);
      expect((await cartOf(customer)).items).toEqual([]);
      expect(await tools.stockOf(product.id)).toBe(6);
    });
  }
});

describe('a crash after the stock was taken', () => {
  for (const point of FAULT_POINTS) {
    it(`at ${point}: holds the stock with no order visible until the recovery sweep gives it back`, async () => {
      const customer = await supergraph.registerCustomer();
      const product = await tools.createProduct({ stock: 10 });
      const ordersBefore = await tools.orderCount();
      const input = { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 4 }] };

      faults.arm(point, () => new SimulatedCrash(`simulated crash at ${point}`));
      expectInternalError(await placeOrderRequest(customer, input));
      faults.disarm();

      // The "dead" request never gave the stock back, and no half-order shows.
      expect(await tools.stockOf(product.id)).toBe(6);
      expect(await tools.orderCount()).toBe(ordersBefore);
      expect(await ordersOfCustomer(customer)).toBe(0);
      // Its key is still taken: a retry is told to wait, and takes nothing.
      const retried = await tools.placeOrder(customer.token, input);
      expect(retried.order).toBeNull();
      expect(retried.userErrors.map((error) => error.code)).toEqual(['CONFLICT']);
      expect(await tools.stockOf(product.id)).toBe(6);
      // A sweep that only treats old claims as abandoned leaves a fresh one alone.
      expect(await supergraph.sweepOrders(60)).toBe(0);
      expect(await tools.stockOf(product.id)).toBe(6);

      expect(await supergraph.sweepOrders()).toBe(1);

      expect(await tools.stockOf(product.id)).toBe(10);
      expect(await tools.orderCount()).toBe(ordersBefore);
      expect(await supergraph.sweepOrders()).toBe(0);
      expect(await tools.stockOf(product.id)).toBe(10);

      // The key is free again.
      const placed = await tools.placeOrder(customer.token, input);
      expect(placed.userErrors).toEqual([]);
      expect(await tools.stockOf(product.id)).toBe(6);
    });
  }

  it('is put right by the sweep without touching the stock of orders that completed', async () => {
    const customer = await supergraph.registerCustomer();
    const other = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const completed = await tools.placed(other.token, [{ productId: product.id, quantity: 2 }]);

    faults.arm('afterReserve', () => new SimulatedCrash('simulated crash'));
    expectInternalError(await placeOrderRequest(customer, { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 5 }] }));
    faults.disarm();
    expect(await tools.stockOf(product.id)).toBe(3);

    expect(await supergraph.sweepOrders()).toBe(1);

    expect(await tools.stockOf(product.id)).toBe(8);
    const read = await supergraph.data(`query($id: ID!) { order(id: $id) { status } }`, { id: completed.id }, { token: other.token });
    expect(read.order.status).toBe('PENDING_PAYMENT');
  });
});
