import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_TOKEN_HEADER } from '@greencart/platform';
import { ADD_TO_CART, CART } from './support/cart-operations.js';
import { graphqlClient } from './support/graphql.js';
import {
  CANCEL_ORDER,
  MY_ORDERS,
  ORDER,
  ORDERS,
  PLACE_ORDER,
  UPDATE_ORDER_STATUS,
  orderTools,
  usd,
  type OrderConnectionView,
  type OrderPayloadView,
  type OrderTools,
  type OrderView,
} from './support/order-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// Placing and managing orders as the contract's "Orders" section promises, through the gateway.
// After every test, each product made here satisfies: initial stock = stock + units held by
// orders that are not cancelled.

let supergraph: TestSupergraph;
let tools: OrderTools;
let adminToken: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  tools = await orderTools(supergraph);
  adminToken = tools.adminToken;
});
afterEach(async () => {
  if (tools) await tools.expectStockInvariant();
});
afterAll(() => supergraph?.stop());

type Customer = { token: string; id: string; email: string };

async function orderOf(token: string, id: string): Promise<(OrderView & Record<string, unknown>) | null> {
  return (await supergraph.data(ORDER, { id }, { token })).order;
}

async function ordersOf(token: string, args: { first?: number; after?: string } = {}): Promise<OrderConnectionView> {
  return (await supergraph.data<{ orders: OrderConnectionView }>(ORDERS, args, { token })).orders;
}

async function cartOf(token: string) {
  return (await supergraph.data(CART, {}, { token })).cart;
}

async function addToCart(token: string, productId: string, quantity: number): Promise<void> {
  const data = await supergraph.data(ADD_TO_CART, { input: { productId, quantity } }, { token });
  expect(data.addToCart.userErrors).toEqual([]);
}

async function addAddress(token: string, line1: string): Promise<string> {
  const data = await supergraph.data(
    `mutation($input: AddressInput!) { addAddress(input: $input) { address { id } userErrors { field code } } }`,
    { input: { line1, line2: 'Flat 2', city: 'Leipzig', postalCode: '04109', country: 'DE' } },
    { token },
  );
  expect(data.addAddress.userErrors).toEqual([]);
  return data.addAddress.address.id;
}

/** Asserts the payload refuses with exactly this one code and field, and has no order. */
function expectRefused(payload: OrderPayloadView, code: string, field: string | null): void {
  expect(payload.order).toBeNull();
  expect(payload.userErrors.map(({ code, field }) => ({ code, field }))).toEqual([{ code, field }]);
  expect(payload.userErrors[0]!.message).not.toBe('');
}

/** A customer, a product with stock, and what must stay as it is when that customer's order is refused. */
async function refusalSetup(stock = 5) {
  const customer = await supergraph.registerCustomer();
  const product = await tools.createProduct({ stock });
  const ordersBefore = await tools.orderCount();
  return {
    customer,
    product,
    async expectNothingChanged() {
      expect(await tools.stockOf(product.id)).toBe(stock);
      expect(await tools.orderCount()).toBe(ordersBefore);
      expect((await ordersOf(customer.token)).totalCount).toBe(0);
    },
  };
}

// ------------------------------------------------------------------ signing in

describe('signing in', () => {
  const anonymous: Array<[string, string, Record<string, unknown>]> = [
    ['orders', ORDERS, {}],
    ['order', ORDER, { id: randomUUID() }],
    ['placeOrder', PLACE_ORDER, { input: { idempotencyKey: randomUUID(), items: [{ productId: randomUUID(), quantity: 1 }] } }],
    ['cancelOrder', CANCEL_ORDER, { id: randomUUID() }],
    ['updateOrderStatus', UPDATE_ORDER_STATUS, { id: randomUUID(), status: 'SHIPPED' }],
  ];
  for (const [name, document, variables] of anonymous) {
    it(`refuses an anonymous ${name} with UNAUTHENTICATED`, async () => {
      const response = await supergraph.request(document, variables);
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(response.data?.[name] ?? null).toBeNull();
    });
  }

  it('takes no stock for an anonymous placeOrder of a real product', async () => {
    const product = await tools.createProduct({ stock: 4 });
    const ordersBefore = await tools.orderCount();
    const response = await supergraph.request(PLACE_ORDER, { input: { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }] } });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await tools.stockOf(product.id)).toBe(4);
    expect(await tools.orderCount()).toBe(ordersBefore);
  });

  it('refuses an anonymous cancelOrder of a real order, leaving it as it was', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 4 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 2 }]);
    const response = await supergraph.request(CANCEL_ORDER, { id: order.id });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await orderOf(customer.token, order.id))?.status).toBe('PENDING_PAYMENT');
    expect(await tools.stockOf(product.id)).toBe(2);
  });
});

// ------------------------------------------------------------------ placing from items

describe('placeOrder with items', () => {
  it('answers a PENDING_PAYMENT order with unit prices of the moment, exact line totals, and total = subtotal = Σ lines', async () => {
    const customer = await supergraph.registerCustomer();
    // Prices whose binary floating-point products and sums are not exact (0.29 × 3, 0.1 + …).
    const a = await tools.createProduct({ stock: 10, price: '0.29', name: 'Sunflower seeds 100 g' });
    const b = await tools.createProduct({ stock: 10, price: '0.10', name: 'Paper bag' });
    const c = await tools.createProduct({ stock: 10, price: '1234567.89', name: 'Greenhouse' });
    const startedAt = Date.now();

    const payload = await tools.placeOrder(customer.token, {
      idempotencyKey: randomUUID(),
      items: [
        { productId: a.id, quantity: 3 },
        { productId: b.id, quantity: 1 },
        { productId: c.id, quantity: 7 },
      ],
    });

    expect(payload.userErrors).toEqual([]);
    const order = payload.order!;
    expect(order).toEqual({
      id: expect.any(String),
      number: expect.stringMatching(/^[A-Z]+-\d+$/),
      status: 'PENDING_PAYMENT',
      createdAt: expect.any(String),
      subtotal: usd('8641976.20'),
      total: usd('8641976.20'),
      items: [
        { id: expect.any(String), quantity: 3, unitPrice: usd('0.29'), lineTotal: usd('0.87'), product: { ...a, price: usd('0.29'), stock: 7, inStock: true } },
        { id: expect.any(String), quantity: 1, unitPrice: usd('0.10'), lineTotal: usd('0.10'), product: { ...b, price: usd('0.10'), stock: 9, inStock: true } },
        { id: expect.any(String), quantity: 7, unitPrice: usd('1234567.89'), lineTotal: usd('8641975.23'), product: { ...c, price: usd('1234567.89'), stock: 3, inStock: true } },
      ],
    });
    const createdAt = Date.parse(order.createdAt);
    expect(order.createdAt).toMatch(/Z$/);
    expect(createdAt).toBeGreaterThanOrEqual(startedAt - 5_000);
    expect(createdAt).toBeLessThanOrEqual(Date.now() + 5_000);

    // The order reads back the same, and with its customer.
    const read = await orderOf(customer.token, order.id);
    expect(read).toMatchObject({ ...order, customer: { id: customer.id, email: customer.email }, transactions: [], invoice: null });
    expect([await tools.stockOf(a.id), await tools.stockOf(b.id), await tools.stockOf(c.id)]).toEqual([7, 9, 3]);
  });

  it('merges lines for one product into one line, in the order of first appearance', async () => {
    const customer = await supergraph.registerCustomer();
    const a = await tools.createProduct({ stock: 10, price: '2.00' });
    const b = await tools.createProduct({ stock: 10, price: '3.00' });

    const order = await tools.placed(customer.token, [
      { productId: a.id, quantity: 1 },
      { productId: b.id, quantity: 2 },
      { productId: a.id, quantity: 4 },
    ]);

    expect(order.items.map((item) => [item.product?.id, item.quantity, item.lineTotal.amount])).toEqual([
      [a.id, 5, '10.00'],
      [b.id, 2, '6.00'],
    ]);
    expect(order.total).toEqual(usd('16.00'));
    expect([await tools.stockOf(a.id), await tools.stockOf(b.id)]).toEqual([5, 8]);
  });

  it('takes a product id in any letter case, as the catalogue does, as the same product', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const idempotencyKey = randomUUID();

    const payload = await tools.placeOrder(customer.token, {
      idempotencyKey,
      items: [
        { productId: product.id.toUpperCase(), quantity: 1 },
        { productId: product.id, quantity: 2 },
      ],
    });

    expect(payload.userErrors).toEqual([]);
    expect(payload.order!.items.map((item) => [item.product?.id, item.quantity])).toEqual([[product.id, 3]]);
    expect(await tools.stockOf(product.id)).toBe(7);
    // A retry that spells the id the other way is the same request.
    const again = await tools.placeOrder(customer.token, { idempotencyKey, items: [{ productId: product.id, quantity: 3 }] });
    expect(again.order?.id).toBe(payload.order!.id);
    expect(await tools.stockOf(product.id)).toBe(7);
  });

  it('accepts exactly the stock, leaving the product out of stock', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 3 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 3 }]);
    expect(order.items[0]?.product).toMatchObject({ stock: 0, inStock: false });
  });

  it('gives every order its own human-readable number', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const numbers = [];
    for (let i = 0; i < 4; i++) numbers.push((await tools.placed(customer.token, [{ productId: product.id, quantity: 1 }])).number);
    for (const number of numbers) expect(number).toMatch(/^[A-Z]+-\d{1,12}$/);
    expect(new Set(numbers).size).toBe(4);
  });

  it('keeps the unit price it was placed at, while the product shows the price and stock of now', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10, price: '4.00' });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 2 }]);

    const updated = await supergraph.data(
      `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { userErrors { code } } }`,
      { id: product.id, input: { price: '5.55' } },
      { token: adminToken },
    );
    expect(updated.updateProduct.userErrors).toEqual([]);
    await tools.setStock(product.id, 1);

    const read = (await orderOf(customer.token, order.id))!;
    expect(read.items).toEqual([{ id: order.items[0]!.id, quantity: 2, unitPrice: usd('4.00'), lineTotal: usd('8.00'), product: { ...product, price: usd('5.55'), stock: 1, inStock: true } }]);
    expect(read.subtotal).toEqual(usd('8.00'));
    expect(read.total).toEqual(usd('8.00'));
    // The same in the list.
    const listed = (await ordersOf(customer.token)).edges.map((edge) => edge.node);
    expect(listed).toEqual([expect.objectContaining({ id: order.id, total: usd('8.00'), items: read.items })]);
  });

  it('still shows a product that was archived after it was ordered', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10, price: '6.50', name: 'Discontinued kombucha' });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 2 }]);
    await tools.archiveProduct(product.id);

    const read = (await orderOf(customer.token, order.id))!;
    expect(read.items[0]).toMatchObject({ quantity: 2, unitPrice: usd('6.50'), product: { id: product.id, name: 'Discontinued kombucha', stock: 8 } });
  });

  it('leaves the cart alone', async () => {
    const customer = await supergraph.registerCustomer();
    const inCart = await tools.createProduct({ stock: 10 });
    const ordered = await tools.createProduct({ stock: 10 });
    await addToCart(customer.token, inCart.id, 2);
    await addToCart(customer.token, ordered.id, 1);
    const lines = (cart: { items: Array<{ id: string; quantity: number; product: { id: string } }> }) => cart.items.map((item) => [item.id, item.product.id, item.quantity]);
    const before = await cartOf(customer.token);

    await tools.placed(customer.token, [{ productId: ordered.id, quantity: 3 }]);

    const after = await cartOf(customer.token);
    expect(lines(after)).toEqual(lines(before));
    expect(after.totalQuantity).toBe(3);
    expect(await tools.stockOf(inCart.id)).toBe(10);
  });
});

// ------------------------------------------------------------------ placing from the cart

describe('placeOrder from the cart', () => {
  it('orders every cart line and then empties the cart', async () => {
    const customer = await supergraph.registerCustomer();
    const a = await tools.createProduct({ stock: 10, price: '1.25' });
    const b = await tools.createProduct({ stock: 10, price: '7.00' });
    await addToCart(customer.token, a.id, 2);
    await addToCart(customer.token, b.id, 3);
    await addToCart(customer.token, a.id, 1);

    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID() });

    expect(payload.userErrors).toEqual([]);
    expect(payload.order).toMatchObject({ status: 'PENDING_PAYMENT', subtotal: usd('24.75'), total: usd('24.75') });
    expect(payload.order!.items.map((item) => [item.product?.id, item.quantity, item.unitPrice.amount, item.lineTotal.amount])).toEqual([
      [a.id, 3, '1.25', '3.75'],
      [b.id, 3, '7.00', '21.00'],
    ]);
    expect(await cartOf(customer.token)).toMatchObject({ items: [], totalQuantity: 0, subtotal: usd('0.00') });
    expect([await tools.stockOf(a.id), await tools.stockOf(b.id)]).toEqual([7, 7]);
  });

  it('refuses an empty cart with CART_EMPTY, changing nothing, and the key stays free', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    const idempotencyKey = randomUUID();

    expectRefused(await tools.placeOrder(customer.token, { idempotencyKey }), 'CART_EMPTY', null);
    await expectNothingChanged();
    expect(await cartOf(customer.token)).toMatchObject({ items: [], totalQuantity: 0 });

    // Nothing was recorded under the key: once the cart holds something, it places the order.
    await addToCart(customer.token, product.id, 1);
    const payload = await tools.placeOrder(customer.token, { idempotencyKey });
    expect(payload.userErrors).toEqual([]);
    expect(payload.order!.items.map((item) => item.quantity)).toEqual([1]);
  });

  it('refuses a cart line above the stock with OUT_OF_STOCK naming the sku, leaving cart and stock as they were', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup(5);
    const other = await tools.createProduct({ stock: 5 });
    await addToCart(customer.token, other.id, 1);
    await addToCart(customer.token, product.id, 4);
    await tools.setStock(product.id, 3);
    const before = await cartOf(customer.token);

    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID() });

    expect(payload.order).toBeNull();
    expect(payload.userErrors.map((error) => error.code)).toEqual(['OUT_OF_STOCK']);
    expect(payload.userErrors[0]!.message).toContain(product.sku);
    expect(await cartOf(customer.token)).toEqual(before);
    expect(await tools.stockOf(other.id)).toBe(5);
    expect(await tools.stockOf(product.id)).toBe(3);
    await tools.setStock(product.id, 5);
    await expectNothingChanged();
  });

  it('refuses a cart holding an archived product with NOT_FOUND naming its sku (no field: a cart line is no input), leaving it as it was', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    const archived = await tools.createProduct({ stock: 5 });
    await addToCart(customer.token, product.id, 1);
    await addToCart(customer.token, archived.id, 1);
    await tools.archiveProduct(archived.id);
    const before = await cartOf(customer.token);

    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID() });

    expect(payload).toEqual({
      order: null,
      userErrors: [{ code: 'NOT_FOUND', field: null, message: `Product ${archived.sku} is no longer in the catalogue: remove it from the cart to order the rest.` }],
    });
    expect(await cartOf(customer.token)).toEqual(before);
    await expectNothingChanged();
  });

  it('names every archived product of a cart, each in its own error', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    const first = await tools.createProduct({ stock: 5 });
    const second = await tools.createProduct({ stock: 5 });
    for (const line of [first, product, second]) await addToCart(customer.token, line.id, 1);
    await tools.archiveProduct(first.id);
    await tools.archiveProduct(second.id);

    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID() });

    expect(payload.order).toBeNull();
    expect(payload.userErrors.map(({ code, field }) => ({ code, field }))).toEqual([
      { code: 'NOT_FOUND', field: null },
      { code: 'NOT_FOUND', field: null },
    ]);
    expect(payload.userErrors.map((error) => error.message.split(' ')[1]).sort()).toEqual([first.sku, second.sku].sort());
    expect(JSON.stringify(payload.userErrors)).not.toContain(product.sku);
    await expectNothingChanged();
  });
});

// ------------------------------------------------------------------ shipping address

describe('shippingAddressId', () => {
  const SHIPPING = `query($id: ID!) { order(id: $id) { id shippingAddress { line1 line2 city postalCode country } } }`;

  it("copies the customer's own address onto the order, where it stays after the address is removed", async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 5 });
    const addressId = await addAddress(customer.token, 'Karl-Liebknecht-Str. 1');

    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }], shippingAddressId: addressId });
    expect(payload.userErrors).toEqual([]);
    const expected = { line1: 'Karl-Liebknecht-Str. 1', line2: 'Flat 2', city: 'Leipzig', postalCode: '04109', country: 'DE' };
    expect((await supergraph.data(SHIPPING, { id: payload.order!.id }, { token: customer.token })).order.shippingAddress).toEqual(expected);

    const removed = await supergraph.data(`mutation($id: ID!) { removeAddress(id: $id) { removedId userErrors { code } } }`, { id: addressId }, { token: customer.token });
    expect(removed.removeAddress).toEqual({ removedId: addressId, userErrors: [] });
    expect((await supergraph.data(SHIPPING, { id: payload.order!.id }, { token: customer.token })).order.shippingAddress).toEqual(expected);
  });

  it('leaves the shipping address empty when none is given', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 5 });
    await addAddress(customer.token, 'Default street 1');
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 1 }]);
    expect((await supergraph.data(SHIPPING, { id: order.id }, { token: customer.token })).order.shippingAddress).toBeNull();
  });

  it("refuses another customer's address with NOT_FOUND on shippingAddressId, changing nothing", async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    const other = await supergraph.registerCustomer();
    const othersAddress = await addAddress(other.token, 'Not yours 5');

    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }], shippingAddressId: othersAddress });

    expectRefused(payload, 'NOT_FOUND', 'shippingAddressId');
    await expectNothingChanged();
  });

  it('refuses an unknown address with NOT_FOUND on shippingAddressId, changing nothing', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    for (const shippingAddressId of [randomUUID(), 'not-an-address-id']) {
      const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }], shippingAddressId });
      expectRefused(payload, 'NOT_FOUND', 'shippingAddressId');
    }
    await expectNothingChanged();
  });
});

// ------------------------------------------------------------------ refusals

describe('placeOrder refusals', () => {
  for (const [name, idempotencyKey] of [
    ['an empty', ''],
    ['a blank', '   '],
    ['a 256-character', 'k'.repeat(256)],
  ] as const) {
    it(`refuses ${name} idempotency key with INVALID_INPUT on idempotencyKey, changing nothing`, async () => {
      const { customer, product, expectNothingChanged } = await refusalSetup();
      expectRefused(await tools.placeOrder(customer.token, { idempotencyKey, items: [{ productId: product.id, quantity: 1 }] }), 'INVALID_INPUT', 'idempotencyKey');
      await expectNothingChanged();
    });
  }

  it('accepts a 255-character idempotency key', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 5 });
    const payload = await tools.placeOrder(customer.token, { idempotencyKey: 'k'.repeat(255), items: [{ productId: product.id, quantity: 1 }] });
    expect(payload.userErrors).toEqual([]);
  });

  it('refuses items: [] with INVALID_INPUT on items, even with a full cart', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    await addToCart(customer.token, product.id, 1);
    expectRefused(await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: [] }), 'INVALID_INPUT', 'items');
    await expectNothingChanged();
    expect((await cartOf(customer.token)).totalQuantity).toBe(1);
  });

  it('refuses a quantity of 0 with INVALID_INPUT on that line, changing nothing', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    const other = await tools.createProduct({ stock: 5 });
    const payload = await tools.placeOrder(customer.token, {
      idempotencyKey: randomUUID(),
      items: [
        { productId: product.id, quantity: 1 },
        { productId: other.id, quantity: 0 },
      ],
    });
    expectRefused(payload, 'INVALID_INPUT', 'items.1.quantity');
    await expectNothingChanged();
    expect(await tools.stockOf(other.id)).toBe(5);
  });

  it('refuses a negative quantity with INVALID_INPUT on that line', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    expectRefused(await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: -2 }] }), 'INVALID_INPUT', 'items.0.quantity');
    await expectNothingChanged();
  });

  it('refuses an unknown product with NOT_FOUND on its line, moving no stock on the others', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    for (const [index, productId] of [
      [1, randomUUID()],
      [1, 'not-a-product-id'],
    ] as const) {
      const items = [
        { productId: product.id, quantity: 1 },
        { productId, quantity: 1 },
      ];
      expectRefused(await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items }), 'NOT_FOUND', `items.${index}.productId`);
    }
    await expectNothingChanged();
  });

  it('names an unknown product by its id', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    const unknown = randomUUID();
    const payload = await tools.placeOrder(customer.token, {
      idempotencyKey: randomUUID(),
      items: [
        { productId: product.id, quantity: 1 },
        { productId: unknown, quantity: 1 },
      ],
    });
    expect(payload.userErrors).toEqual([{ code: 'NOT_FOUND', field: 'items.1.productId', message: `Product ${unknown} is not in the catalogue.` }]);
    await expectNothingChanged();
  });

  it('refuses an archived product with NOT_FOUND on its line, naming its sku', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup();
    const archived = await tools.createProduct({ stock: 5 });
    await tools.archiveProduct(archived.id);
    const items = [
      { productId: archived.id, quantity: 1 },
      { productId: product.id, quantity: 1 },
    ];
    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items });
    expect(payload).toEqual({ order: null, userErrors: [{ code: 'NOT_FOUND', field: 'items.0.productId', message: `Product ${archived.sku} is no longer in the catalogue.` }] });
    await expectNothingChanged();
  });

  it('refuses a line above the stock with OUT_OF_STOCK naming the sku, moving no stock on any line', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup(5);
    const scarce = await tools.createProduct({ stock: 3 });
    const items = [
      { productId: product.id, quantity: 2 },
      { productId: scarce.id, quantity: 4 },
    ];

    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items });

    expectRefused(payload, 'OUT_OF_STOCK', 'items.1.quantity');
    expect(payload.userErrors[0]!.message).toContain(scarce.sku);
    expect(payload.userErrors[0]!.message).not.toContain(product.sku);
    await expectNothingChanged();
    expect(await tools.stockOf(scarce.id)).toBe(3);
  });

  it('judges the stock on merged lines', async () => {
    const { customer, product, expectNothingChanged } = await refusalSetup(3);
    const items = [
      { productId: product.id, quantity: 2 },
      { productId: product.id, quantity: 2 },
    ];
    const payload = await tools.placeOrder(customer.token, { idempotencyKey: randomUUID(), items });
    expect(payload.order).toBeNull();
    expect(payload.userErrors.map((error) => error.code)).toEqual(['OUT_OF_STOCK']);
    expect(payload.userErrors[0]!.message).toContain(product.sku);
    await expectNothingChanged();
  });
});

// ------------------------------------------------------------------ idempotency

describe('idempotency keys', () => {
  it('answers the first order again for the same key and request, taking no more stock', async () => {
    const customer = await supergraph.registerCustomer();
    const a = await tools.createProduct({ stock: 10 });
    const b = await tools.createProduct({ stock: 10 });
    const idempotencyKey = randomUUID();
    const items = [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 1 },
    ];

    const first = await tools.placeOrder(customer.token, { idempotencyKey, items });
    const again = await tools.placeOrder(customer.token, { idempotencyKey, items });
    // The same order, asked for in another shape.
    const reshaped = await tools.placeOrder(customer.token, {
      idempotencyKey,
      items: [
        { productId: b.id, quantity: 1 },
        { productId: a.id, quantity: 1 },
        { productId: a.id, quantity: 1 },
      ],
    });

    expect(first.userErrors).toEqual([]);
    for (const repeat of [again, reshaped]) {
      expect(repeat.userErrors).toEqual([]);
      expect(repeat.order).toMatchObject({ id: first.order!.id, number: first.order!.number, status: 'PENDING_PAYMENT', total: first.order!.total });
    }
    expect([await tools.stockOf(a.id), await tools.stockOf(b.id)]).toEqual([8, 9]);
    expect((await ordersOf(customer.token)).totalCount).toBe(1);
  });

  it('refuses the same key with different items with CONFLICT, changing nothing', async () => {
    const customer = await supergraph.registerCustomer();
    const a = await tools.createProduct({ stock: 10 });
    const b = await tools.createProduct({ stock: 10 });
    const idempotencyKey = randomUUID();
    const first = await tools.placeOrder(customer.token, { idempotencyKey, items: [{ productId: a.id, quantity: 2 }] });
    expect(first.userErrors).toEqual([]);
    await addToCart(customer.token, b.id, 1);

    const different = [
      { items: [{ productId: a.id, quantity: 3 }] },
      { items: [{ productId: b.id, quantity: 2 }] },
      {
        items: [
          { productId: a.id, quantity: 2 },
          { productId: b.id, quantity: 1 },
        ],
      },
      {}, // the cart
    ];
    for (const request of different) {
      const payload = await tools.placeOrder(customer.token, { idempotencyKey, ...request });
      expect(payload.order).toBeNull();
      expect(payload.userErrors.map((error) => error.code)).toEqual(['CONFLICT']);
    }

    expect([await tools.stockOf(a.id), await tools.stockOf(b.id)]).toEqual([8, 10]);
    expect((await ordersOf(customer.token)).edges.map((edge) => edge.node.id)).toEqual([first.order!.id]);
    expect((await cartOf(customer.token)).totalQuantity).toBe(1);
  });

  it('refuses the same key with another shipping address with CONFLICT', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const addressId = await addAddress(customer.token, 'Somewhere 1');
    const idempotencyKey = randomUUID();
    const items = [{ productId: product.id, quantity: 1 }];
    expect((await tools.placeOrder(customer.token, { idempotencyKey, items })).userErrors).toEqual([]);
    const payload = await tools.placeOrder(customer.token, { idempotencyKey, items, shippingAddressId: addressId });
    expect(payload.userErrors.map((error) => error.code)).toEqual(['CONFLICT']);
    expect(await tools.stockOf(product.id)).toBe(9);
  });

  it('answers a repeated cart order with the first order, though the cart is empty now', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    await addToCart(customer.token, product.id, 2);
    const idempotencyKey = randomUUID();

    const first = await tools.placeOrder(customer.token, { idempotencyKey });
    const again = await tools.placeOrder(customer.token, { idempotencyKey });

    expect(first.userErrors).toEqual([]);
    expect(again).toEqual(first);
    expect(await tools.stockOf(product.id)).toBe(8);
  });

  it('lets a key refused for want of stock place the order once there is stock', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 1 });
    const idempotencyKey = randomUUID();
    const items = [{ productId: product.id, quantity: 3 }];

    const refused = await tools.placeOrder(customer.token, { idempotencyKey, items });
    expect(refused.userErrors.map((error) => error.code)).toEqual(['OUT_OF_STOCK']);
    await tools.setStock(product.id, 5);

    const placed = await tools.placeOrder(customer.token, { idempotencyKey, items });
    expect(placed.userErrors).toEqual([]);
    expect(placed.order!.items.map((item) => item.quantity)).toEqual([3]);
    expect(await tools.stockOf(product.id)).toBe(2);
  });

  it("keeps one customer's keys apart from another's", async () => {
    const alice = await supergraph.registerCustomer();
    const bob = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const idempotencyKey = randomUUID();

    const hers = await tools.placeOrder(alice.token, { idempotencyKey, items: [{ productId: product.id, quantity: 1 }] });
    const his = await tools.placeOrder(bob.token, { idempotencyKey, items: [{ productId: product.id, quantity: 2 }] });

    expect(hers.userErrors).toEqual([]);
    expect(his.userErrors).toEqual([]);
    expect(his.order!.id).not.toBe(hers.order!.id);
    expect(await tools.stockOf(product.id)).toBe(7);
  });
});

// ------------------------------------------------------------------ reading orders

describe('orders', () => {
  it('lists the customer’s orders newest first, page by page, with the total count', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 20 });
    const placedIds = [];
    for (let quantity = 1; quantity <= 5; quantity++) placedIds.push((await tools.placed(customer.token, [{ productId: product.id, quantity }])).id);
    const newestFirst = [...placedIds].reverse();

    const seen: string[] = [];
    let after: string | undefined;
    const pages = [];
    do {
      const page = await ordersOf(customer.token, { first: 2, ...(after ? { after } : {}) });
      pages.push(page.edges.length);
      expect(page.totalCount).toBe(5);
      seen.push(...page.edges.map((edge) => edge.node.id));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor! : undefined;
    } while (after);

    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual(newestFirst);
    // The default page holds them all; first: 0 only counts.
    expect((await ordersOf(customer.token)).edges.map((edge) => edge.node.id)).toEqual(newestFirst);
    expect(await ordersOf(customer.token, { first: 0 })).toMatchObject({ totalCount: 5, edges: [] });
  });

  it('shows a customer only their own orders, and an admin everyone’s', async () => {
    const alice = await supergraph.registerCustomer();
    const bob = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const hers = await tools.placed(alice.token, [{ productId: product.id, quantity: 1 }]);
    const his = await tools.placed(bob.token, [{ productId: product.id, quantity: 2 }]);

    expect((await ordersOf(alice.token)).edges.map((edge) => edge.node.id)).toEqual([hers.id]);
    expect((await ordersOf(bob.token)).edges.map((edge) => edge.node.id)).toEqual([his.id]);

    const everyone = await ordersOf(adminToken, { first: 100 });
    expect(everyone.edges.slice(0, 2).map((edge) => edge.node.id)).toEqual([his.id, hers.id]);
    expect(everyone.totalCount).toBe((await tools.allOrders()).length);
    expect(everyone.totalCount).toBeGreaterThan(2);
  });

  const badArguments: Array<[string, Record<string, unknown>]> = [
    ['first: 101', { first: 101 }],
    ['first: -1', { first: -1 }],
    ['a garbage cursor', { after: 'garbage!' }],
    ['a cursor of another shape', { after: Buffer.from(JSON.stringify(['not a date', 'not an id'])).toString('base64url') }],
  ];
  for (const [name, args] of badArguments) {
    it(`refuses ${name} with BAD_USER_INPUT`, async () => {
      const customer = await supergraph.registerCustomer();
      const response = await supergraph.request(ORDERS, args, { token: customer.token });
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(response.data?.orders ?? null).toBeNull();
    });
  }

  it('answers MyOrders with the signed-in customer’s orders', async () => {
    const customer = await supergraph.registerCustomer();
    const other = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10, price: '2.50' });
    const first = await tools.placed(customer.token, [{ productId: product.id, quantity: 1 }]);
    const second = await tools.placed(customer.token, [{ productId: product.id, quantity: 2 }]);
    await tools.placed(other.token, [{ productId: product.id, quantity: 1 }]);

    const data = await supergraph.data(MY_ORDERS, {}, { token: customer.token });

    expect(data.me).toEqual({
      id: customer.id,
      email: customer.email,
      orders: {
        totalCount: 2,
        edges: [
          { node: { id: second.id, number: second.number, status: 'PENDING_PAYMENT', total: usd('5.00') } },
          { node: { id: first.id, number: first.number, status: 'PENDING_PAYMENT', total: usd('2.50') } },
        ],
      },
    });
  });
});

describe('order(id)', () => {
  it("answers the customer's own order, null for another customer's, and any order for an admin", async () => {
    const alice = await supergraph.registerCustomer();
    const bob = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(alice.token, [{ productId: product.id, quantity: 1 }]);

    expect(await orderOf(alice.token, order.id)).toMatchObject({ id: order.id, customer: { id: alice.id, email: alice.email } });
    const asBob = await supergraph.request(ORDER, { id: order.id }, { token: bob.token });
    expect(asBob.errors).toBeUndefined();
    expect(asBob.data.order).toBeNull();
    expect(await orderOf(adminToken, order.id)).toMatchObject({ id: order.id, number: order.number, customer: { id: alice.id, email: alice.email } });
  });

  it('answers null for an unknown id', async () => {
    const customer = await supergraph.registerCustomer();
    for (const id of [randomUUID(), 'not-an-order-id']) {
      expect(await orderOf(customer.token, id)).toBeNull();
      expect(await orderOf(adminToken, id)).toBeNull();
    }
  });
});

describe('Customer.orders', () => {
  /** Asks the orders subgraph directly, as the gateway would, for the customer's orders. */
  async function customerOrdersAsGateway(customerId: string, token: string) {
    const service = await supergraph.serviceToken('gateway', 'orders');
    return graphqlClient(`${supergraph.subgraphUrls.orders}/graphql`).request(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { orders { totalCount } } } }`,
      { representations: [{ __typename: 'Customer', id: customerId }] },
      { headers: { [SERVICE_TOKEN_HEADER]: service, authorization: `Bearer ${token}` } },
    );
  }

  it('is readable by the customer and by admins, and FORBIDDEN to another customer', async () => {
    const alice: Customer = await supergraph.registerCustomer();
    const bob: Customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    await tools.placed(alice.token, [{ productId: product.id, quantity: 1 }]);

    const own = await customerOrdersAsGateway(alice.id, alice.token);
    expect(own.errors).toBeUndefined();
    expect(own.data._entities).toEqual([{ orders: { totalCount: 1 } }]);

    const admin = await customerOrdersAsGateway(alice.id, adminToken);
    expect(admin.errors).toBeUndefined();
    expect(admin.data._entities).toEqual([{ orders: { totalCount: 1 } }]);

    const others = await customerOrdersAsGateway(alice.id, bob.token);
    expect(others.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(others.data?._entities?.[0]?.orders ?? null).toBeNull();
  });

  it('lets an admin read an order’s customer’s orders through the gateway', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 1 }]);
    await tools.placed(customer.token, [{ productId: product.id, quantity: 1 }]);
    const data = await supergraph.data(`query($id: ID!) { order(id: $id) { customer { id orders(first: 1) { totalCount edges { node { id } } } } } }`, { id: order.id }, { token: adminToken });
    expect(data.order.customer.id).toBe(customer.id);
    expect(data.order.customer.orders.totalCount).toBe(2);
    expect(data.order.customer.orders.edges).toHaveLength(1);
  });
});

// ------------------------------------------------------------------ cancelling

describe('cancelOrder', () => {
  it('cancels the customer’s pending order and gives its stock back', async () => {
    const customer = await supergraph.registerCustomer();
    const a = await tools.createProduct({ stock: 10 });
    const b = await tools.createProduct({ stock: 4 });
    const order = await tools.placed(customer.token, [
      { productId: a.id, quantity: 3 },
      { productId: b.id, quantity: 4 },
    ]);
    expect([await tools.stockOf(a.id), await tools.stockOf(b.id)]).toEqual([7, 0]);

    const payload = await tools.cancelOrder(customer.token, order.id);

    expect(payload).toEqual({ order: { id: order.id, status: 'CANCELLED' }, userErrors: [] });
    expect([await tools.stockOf(a.id), await tools.stockOf(b.id)]).toEqual([10, 4]);
    expect(await orderOf(customer.token, order.id)).toMatchObject({ status: 'CANCELLED', total: order.total });
    expect((await ordersOf(customer.token)).edges.map((edge) => [edge.node.id, edge.node.status])).toEqual([[order.id, 'CANCELLED']]);
  });

  it('refuses to cancel twice with INVALID_STATE, giving the stock back only once', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 3 }]);
    expect((await tools.cancelOrder(customer.token, order.id)).userErrors).toEqual([]);

    expectRefused(await tools.cancelOrder(customer.token, order.id), 'INVALID_STATE', 'id');
    expectRefused(await tools.cancelOrder(adminToken, order.id), 'INVALID_STATE', 'id');

    expect(await tools.stockOf(product.id)).toBe(10);
    expect((await orderOf(customer.token, order.id))?.status).toBe('CANCELLED');
  });

  it("refuses another customer's order with NOT_FOUND, changing nothing", async () => {
    const alice = await supergraph.registerCustomer();
    const bob = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(alice.token, [{ productId: product.id, quantity: 3 }]);

    expectRefused(await tools.cancelOrder(bob.token, order.id), 'NOT_FOUND', 'id');

    expect((await orderOf(alice.token, order.id))?.status).toBe('PENDING_PAYMENT');
    expect(await tools.stockOf(product.id)).toBe(7);
  });

  it('refuses an unknown order with NOT_FOUND', async () => {
    const customer = await supergraph.registerCustomer();
    for (const id of [randomUUID(), 'not-an-order-id']) expectRefused(await tools.cancelOrder(customer.token, id), 'NOT_FOUND', 'id');
  });

  it("lets an admin cancel any customer's order", async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 6 }]);

    expect(await tools.cancelOrder(adminToken, order.id)).toEqual({ order: { id: order.id, status: 'CANCELLED' }, userErrors: [] });

    expect(await tools.stockOf(product.id)).toBe(10);
    expect((await orderOf(customer.token, order.id))?.status).toBe('CANCELLED');
  });
});

// ------------------------------------------------------------------ fulfilment

describe('updateOrderStatus', () => {
  async function updateStatus(token: string, id: string, status: string) {
    return supergraph.request<{ updateOrderStatus: OrderPayloadView | null }>(UPDATE_ORDER_STATUS, { id, status }, { token });
  }

  it('is FORBIDDEN to customers, even on their own order', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 1 }]);

    for (const status of ['SHIPPED', 'PAID', 'CANCELLED']) {
      const response = await updateStatus(customer.token, order.id, status);
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(response.data?.updateOrderStatus ?? null).toBeNull();
    }
    expect((await orderOf(customer.token, order.id))?.status).toBe('PENDING_PAYMENT');
  });

  it('refuses to move a pending order anywhere with INVALID_STATE: paying and cancelling have their own mutations', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 2 }]);

    for (const status of ['SHIPPED', 'DELIVERED', 'PAID', 'CANCELLED', 'PENDING_PAYMENT']) {
      const response = await updateStatus(adminToken, order.id, status);
      expect(response.errors).toBeUndefined();
      expectRefused(response.data.updateOrderStatus!, 'INVALID_STATE', 'status');
    }
    expect((await orderOf(customer.token, order.id))?.status).toBe('PENDING_PAYMENT');
    expect(await tools.stockOf(product.id)).toBe(8);
  });

  it('refuses to move a cancelled order anywhere with INVALID_STATE', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ stock: 10 });
    const order = await tools.placed(customer.token, [{ productId: product.id, quantity: 2 }]);
    expect((await tools.cancelOrder(customer.token, order.id)).userErrors).toEqual([]);

    for (const status of ['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']) {
      const response = await updateStatus(adminToken, order.id, status);
      expect(response.errors).toBeUndefined();
      expectRefused(response.data.updateOrderStatus!, 'INVALID_STATE', 'status');
    }
    expect((await orderOf(customer.token, order.id))?.status).toBe('CANCELLED');
    expect(await tools.stockOf(product.id)).toBe(10);
  });

  it('refuses an unknown order with NOT_FOUND', async () => {
    for (const id of [randomUUID(), 'not-an-order-id']) {
      const response = await updateStatus(adminToken, id, 'SHIPPED');
      expect(response.errors).toBeUndefined();
      expectRefused(response.data.updateOrderStatus!, 'NOT_FOUND', 'id');
    }
  });
});

describe('placeOrder: order size', () => {
  it('refuses more than 100 different products with INVALID_INPUT on items, taking no stock', async () => {
    const customer = await supergraph.registerCustomer();
    const items = Array.from({ length: 101 }, (_, index) => ({ productId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`, quantity: 1 }));
    const data = await supergraph.data(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { field code } } }',
      { input: { idempotencyKey: `too-many-${Date.now()}`, items } },
      { token: customer.token },
    );
    expect(data.placeOrder).toEqual({ order: null, userErrors: [{ field: 'items', code: 'INVALID_INPUT' }] });
  });
});
