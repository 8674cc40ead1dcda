import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderTools, PLACE_ORDER } from './support/order-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/**
 * Stopping the orders service in the middle of a burst of placeOrder, as its SIGTERM handler
 * does: it stops taking requests and lets those in flight finish (placed, or compensated), so no
 * half-placed order is left and no stock is lost.
 */
let supergraph: TestSupergraph;
beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
});
afterAll(() => supergraph?.stop());

describe('stopping orders during a burst of placeOrder', () => {
  it('leaves no claim half done, and every unit is either in stock or in an order', async () => {
    const tools = await orderTools(supergraph);
    const product = await tools.createProduct({ stock: 30 });
    const customers = await Promise.all(Array.from({ length: 30 }, () => supergraph.registerCustomer()));

    const burst = customers.map((customer) => supergraph.request(PLACE_ORDER, { input: { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }] } }, { token: customer.token }));
    await Promise.race(burst); // the first order is through: the rest are in flight or queued
    await supergraph.stopSubgraph('orders');
    const answers = await Promise.all(burst);

    const orders = postgres(supergraph.databaseUrls.orders, { max: 1, onnotice: () => {} });
    try {
      const [claims] = await orders`select count(*)::int as count from orders where status = 'PLACING'`;
      expect(claims!.count).toBe(0);
      const [held] = await orders`select coalesce(sum(i.quantity), 0)::int as units, count(distinct o.id)::int as orders
        from order_items i join orders o on o.id = i.order_id where o.status <> 'CANCELLED' and i.product_id = ${product.id}`;
      expect((await tools.stockOf(product.id)) + held!.units).toBe(30);
      expect(held!.orders).toBeGreaterThan(0);
      // Every customer told "placed" has an order; nobody else has one.
      expect(answers.filter((answer) => answer.data?.placeOrder?.order).length).toBe(held!.orders);
    } finally {
      await orders.end();
    }
  });
});
