import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERS, orderTools, usd, type OrderConnectionView, type OrderTools } from './support/order-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The cost of a page of orders in SQL statements: it must not grow with the number of lines, in
// the orders database (items) or in the products database (each line's product).

let supergraph: TestSupergraph;
let tools: OrderTools;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  tools = await orderTools(supergraph);
});
afterAll(() => supergraph?.stop());

/** A customer with `orders` orders of `lines` lines each, over `lines` products of their own. */
async function customerWithOrders(orders: number, lines: number) {
  const customer = await supergraph.registerCustomer();
  const products = await Promise.all(Array.from({ length: lines }, (_, index) => tools.createProduct({ stock: orders, price: `${index + 1}.00` })));
  for (let i = 0; i < orders; i++)
    await tools.placed(
      customer.token,
      products.map((product) => ({ productId: product.id, quantity: 1 })),
    );
  return customer;
}

/** Statements each database runs for one `orders(first: 10)` page with OrderFields. */
async function costOfOrdersPage(token: string) {
  supergraph.statements.orders.reset();
  supergraph.statements.products.reset();
  const { orders } = await supergraph.data<{ orders: OrderConnectionView }>(ORDERS, { first: 10 }, { token });
  return { orders, ordersStatements: supergraph.statements.orders.applicationCount, productsStatements: supergraph.statements.products.applicationCount };
}

describe('cost of a page of orders', () => {
  it('is the same number of statements for 10 orders × 10 lines as for 10 orders × 1 line', async () => {
    const oneLine = await customerWithOrders(10, 1);
    const tenLines = await customerWithOrders(10, 10);

    const small = await costOfOrdersPage(oneLine.token);
    const large = await costOfOrdersPage(tenLines.token);

    // Both pages were answered in full, so the counts cover every field of OrderFields.
    expect(small.orders.edges).toHaveLength(10);
    expect(large.orders.edges).toHaveLength(10);
    expect(large.orders.totalCount).toBe(10);
    for (const { node } of large.orders.edges) {
      expect(node.items).toHaveLength(10);
      expect(node.items.every((item) => item.product !== null && item.product.price.amount === item.unitPrice.amount)).toBe(true);
      // 1.00 + 2.00 + … + 10.00
      expect(node.total).toEqual(usd('55.00'));
    }
    expect(large.orders.edges[0]!.node.items[9]!.product).toMatchObject({ stock: 0, inStock: false });

    expect(small.ordersStatements).toBeGreaterThan(0);
    expect(large.ordersStatements).toBe(small.ordersStatements);
    expect(small.productsStatements).toBeGreaterThan(0);
    expect(large.productsStatements).toBe(small.productsStatements);
  });

  it('is the same for a page of 10 orders as for a page of 1', async () => {
    const customer = await customerWithOrders(10, 3);
    supergraph.statements.orders.reset();
    supergraph.statements.products.reset();
    const one = await supergraph.data<{ orders: OrderConnectionView }>(ORDERS, { first: 1 }, { token: customer.token });
    const oneCost = { orders: supergraph.statements.orders.applicationCount, products: supergraph.statements.products.applicationCount };
    const ten = await costOfOrdersPage(customer.token);

    expect(one.orders.edges).toHaveLength(1);
    expect(ten.orders.edges).toHaveLength(10);
    expect(ten.ordersStatements).toBe(oneCost.orders);
    expect(ten.productsStatements).toBe(oneCost.products);
  });
});

describe('entity representations', () => {
  /** Representations the gateway has sent products so far (its Prometheus counter). */
  async function representationsSentToProducts(): Promise<number> {
    const text = await (await fetch(supergraph.metricsUrls.gateway)).text();
    return Number(/^greencart_subgraph_entity_representations_total\{[^}]*subgraph="products"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  }

  it('go to products once each however many lines repeat a product, and every line gets its product', async () => {
    // 10 orders of the same 3 products: a page of them is 30 lines over 3 distinct products.
    const customer = await customerWithOrders(10, 3);
    const before = await representationsSentToProducts();
    const { orders } = await costOfOrdersPage(customer.token);
    expect(await representationsSentToProducts()).toBe(before + 3);

    const lines = orders.edges.flatMap(({ node }) => node.items);
    expect(lines).toHaveLength(30);
    for (const line of lines) {
      expect(line.product).not.toBeNull();
      expect(line.product!.price.amount).toBe(line.unitPrice.amount);
    }
    // Each line has an object of its own, equal to the other lines of the same product.
    expect(new Set(lines.map((line) => JSON.stringify(line.product))).size).toBe(3);
  });
});

describe('cost of one order', () => {
  const ORDER_WITH_PRODUCTS = 'query($id: ID!) { order(id: $id) { id number items { id quantity product { id name price { amount } stock category { id name } } } } }';

  async function costOfOrder(lines: number) {
    const customer = await supergraph.registerCustomer();
    const products = await Promise.all(Array.from({ length: lines }, () => tools.createProduct({ stock: 1 })));
    const order = await tools.placed(
      customer.token,
      products.map((product) => ({ productId: product.id, quantity: 1 })),
    );
    supergraph.statements.orders.reset();
    supergraph.statements.products.reset();
    const data = await supergraph.data<{ order: { items: Array<{ product: { name: string; category: { name: string } } }> } }>(ORDER_WITH_PRODUCTS, { id: order.id }, { token: customer.token });
    expect(data.order.items).toHaveLength(lines);
    expect(data.order.items.every((item) => item.product.name.length > 0 && item.product.category.name.length > 0)).toBe(true);
    return { orders: supergraph.statements.orders.applicationCount, products: supergraph.statements.products.applicationCount };
  }

  it('is one statement in orders (the order with its lines) and one in products (the products with their categories), for 1 line as for 10', async () => {
    expect(await costOfOrder(1)).toEqual({ orders: 1, products: 1 });
    expect(await costOfOrder(10)).toEqual({ orders: 1, products: 1 });
  });
});
