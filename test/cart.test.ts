import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

import { ADD_TO_CART, CART, REMOVE_FROM_CART, UPDATE_CART_ITEM } from './support/cart-operations.js';

interface Money {
  amount: string;
  currencyCode: string;
}
interface CartView {
  id: string;
  totalQuantity: number;
  subtotal: Money;
  items: Array<{
    id: string;
    quantity: number;
    lineTotal: Money;
    product: { id: string; name: string; price: Money; stock: number; inStock: boolean } | null;
  }>;
}
interface UserErrorView {
  field: string | null;
  message: string;
  code: string;
}
interface CartPayloadView {
  cart: CartView | null;
  userErrors: UserErrorView[];
}

const usd = (amount: string): Money => ({ amount, currencyCode: 'USD' });
const WRITE_STATEMENT = /^\s*(insert|update|delete)\b/i;

let supergraph: TestSupergraph;
let adminToken: string;
let categoryId: string;
let skuSequence = 0;

beforeAll(async () => {
  supergraph = await startSupergraph();
  adminToken = await supergraph.adminToken();
  const data = await supergraph.data<{ categories: Array<{ id: string }> }>('{ categories { id } }');
  categoryId = data.categories[0]!.id;
});
afterAll(() => supergraph?.stop());

/** An admin-created product with a known price and stock, under a sku no other test uses. */
async function createProduct(fields: { price: string; stock: number; name?: string }): Promise<{ id: string; sku: string; name: string }> {
  skuSequence += 1;
  const sku = `CART-${skuSequence}-${randomUUID().slice(0, 8)}`;
  const name = fields.name ?? `Cart test product ${skuSequence}`;
  const data = await supergraph.data(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id sku name } userErrors { field code message } } }`,
    { input: { sku, name, price: fields.price, stock: fields.stock, categoryId } },
    { token: adminToken },
  );
  expect(data.createProduct.userErrors).toEqual([]);
  return data.createProduct.product;
}

async function cartOf(token: string): Promise<CartView> {
  const data = await supergraph.data<{ cart: CartView }>(CART, {}, { token });
  return data.cart;
}

async function addToCart(token: string, productId: string, quantity: number): Promise<CartPayloadView> {
  return (await supergraph.data<{ addToCart: CartPayloadView }>(ADD_TO_CART, { input: { productId, quantity } }, { token })).addToCart;
}

async function updateCartItem(token: string, productId: string, quantity: number): Promise<CartPayloadView> {
  return (await supergraph.data<{ updateCartItem: CartPayloadView }>(UPDATE_CART_ITEM, { input: { productId, quantity } }, { token })).updateCartItem;
}

async function removeFromCart(token: string, productId: string): Promise<CartPayloadView> {
  return (await supergraph.data<{ removeFromCart: CartPayloadView }>(REMOVE_FROM_CART, { productId }, { token })).removeFromCart;
}

/** A customer whose cart already holds `quantity` units of a fresh product, for the "nothing changed" checks. */
async function customerWithOneLine(quantity = 2) {
  const customer = await supergraph.registerCustomer();
  const product = await createProduct({ price: '5.00', stock: 10 });
  expect((await addToCart(customer.token, product.id, quantity)).userErrors).toEqual([]);
  return { customer, product, before: await cartOf(customer.token) };
}

/** Asserts the payload is a refusal with exactly this code and field, and no cart. */
function expectRefused(payload: CartPayloadView, code: string, field: string | null): void {
  expect(payload.cart).toBeNull();
  expect(payload.userErrors).toHaveLength(1);
  expect(payload.userErrors[0]).toMatchObject({ code, field });
  expect(payload.userErrors[0]!.message).not.toBe('');
}

describe('signing in', () => {
  const anonymous: Array<[string, string, Record<string, unknown>]> = [
    ['cart', CART, {}],
    ['addToCart', ADD_TO_CART, { input: { productId: randomUUID(), quantity: 1 } }],
    ['updateCartItem', UPDATE_CART_ITEM, { input: { productId: randomUUID(), quantity: 1 } }],
    ['removeFromCart', REMOVE_FROM_CART, { productId: randomUUID() }],
  ];

  for (const [name, document, variables] of anonymous) {
    it(`refuses an anonymous ${name} with UNAUTHENTICATED`, async () => {
      const response = await supergraph.request(document, variables);
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(response.data?.[name] ?? null).toBeNull();
    });
  }

  it('does not let an anonymous addToCart of a real product write anything', async () => {
    const product = await createProduct({ price: '1.00', stock: 5 });
    supergraph.statements.orders.reset();
    const response = await supergraph.request(ADD_TO_CART, { input: { productId: product.id, quantity: 1 } });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(supergraph.statements.orders.statements.filter((statement) => WRITE_STATEMENT.test(statement))).toEqual([]);
  });
});

describe('one cart per customer', () => {
  it('starts empty', async () => {
    const customer = await supergraph.registerCustomer();
    const cart = await cartOf(customer.token);
    expect(cart).toEqual({ id: expect.any(String), totalQuantity: 0, subtotal: usd('0.00'), items: [] });
  });

  it('is the same cart on later queries and mutations', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '2.50', stock: 10 });
    const first = await cartOf(customer.token);
    expect((await cartOf(customer.token)).id).toBe(first.id);
    const added = await addToCart(customer.token, product.id, 1);
    expect(added.cart?.id).toBe(first.id);
    expect((await updateCartItem(customer.token, product.id, 3)).cart?.id).toBe(first.id);
    expect((await removeFromCart(customer.token, product.id)).cart?.id).toBe(first.id);
    expect((await cartOf(customer.token)).id).toBe(first.id);
  });

  it('gives a first mutation the cart that later queries return', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '2.50', stock: 10 });
    const added = await addToCart(customer.token, product.id, 1);
    expect(added.userErrors).toEqual([]);
    expect((await cartOf(customer.token)).id).toBe(added.cart!.id);
  });

  it("keeps customers out of each other's carts", async () => {
    const alice = await supergraph.registerCustomer();
    const bob = await supergraph.registerCustomer();
    const product = await createProduct({ price: '3.00', stock: 10 });

    const aliceCart = (await addToCart(alice.token, product.id, 2)).cart!;
    const bobCart = await cartOf(bob.token);
    expect(bobCart.id).not.toBe(aliceCart.id);
    expect(bobCart).toMatchObject({ totalQuantity: 0, subtotal: usd('0.00'), items: [] });

    // Bob's changes to the same product touch only his own cart.
    expect((await addToCart(bob.token, product.id, 1)).cart).toMatchObject({ id: bobCart.id, totalQuantity: 1 });
    expect(await removeFromCart(bob.token, product.id)).toMatchObject({ userErrors: [] });
    expect((await updateCartItem(bob.token, product.id, 5)).cart).toMatchObject({ id: bobCart.id, totalQuantity: 5 });
    expect(await cartOf(alice.token)).toEqual(aliceCart);
  });
});

describe('addToCart', () => {
  it('adds a line with the product, its line total and the cart subtotal', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '4.49', stock: 10, name: 'Oat milk 1 l' });

    const payload = await addToCart(customer.token, product.id, 3);

    expect(payload.userErrors).toEqual([]);
    expect(payload.cart).toEqual({
      id: expect.any(String),
      totalQuantity: 3,
      subtotal: usd('13.47'),
      items: [
        {
          id: expect.any(String),
          quantity: 3,
          lineTotal: usd('13.47'),
          product: { id: product.id, name: 'Oat milk 1 l', price: usd('4.49'), stock: 10, inStock: true },
        },
      ],
    });
    expect(await cartOf(customer.token)).toEqual(payload.cart);
  });

  it('adds to the quantity already in the cart, keeping one line', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '1.25', stock: 10 });

    const first = await addToCart(customer.token, product.id, 2);
    const second = await addToCart(customer.token, product.id, 3);

    expect(second.userErrors).toEqual([]);
    expect(second.cart!.items).toHaveLength(1);
    expect(second.cart!.items[0]).toMatchObject({ id: first.cart!.items[0]!.id, quantity: 5, lineTotal: usd('6.25') });
    expect(second.cart).toMatchObject({ totalQuantity: 5, subtotal: usd('6.25') });
  });

  it('sums quantities and exact line totals over several lines, oldest line first', async () => {
    const customer = await supergraph.registerCustomer();
    // Prices whose binary floating-point products and sums are not exact (0.29 × 3, 0.1 + 0.2).
    const a = await createProduct({ price: '0.29', stock: 10 });
    const b = await createProduct({ price: '0.10', stock: 10 });
    const c = await createProduct({ price: '1234567.89', stock: 10 });

    await addToCart(customer.token, a.id, 3);
    await addToCart(customer.token, b.id, 1);
    await addToCart(customer.token, c.id, 7);
    const cart = (await addToCart(customer.token, b.id, 2)).cart!;

    expect(cart.items.map((item) => [item.product?.id, item.quantity, item.lineTotal.amount])).toEqual([
      [a.id, 3, '0.87'],
      [b.id, 3, '0.30'],
      [c.id, 7, '8641975.23'],
    ]);
    expect(cart.totalQuantity).toBe(13);
    expect(cart.subtotal).toEqual(usd('8641976.40'));
  });

  it('accepts exactly the stock', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '9.99', stock: 4 });
    const payload = await addToCart(customer.token, product.id, 4);
    expect(payload.userErrors).toEqual([]);
    expect(payload.cart).toMatchObject({ totalQuantity: 4, subtotal: usd('39.96') });
  });

  for (const quantity of [0, -1]) {
    it(`refuses a quantity of ${quantity} with INVALID_INPUT on quantity, changing nothing`, async () => {
      const { customer, product, before } = await customerWithOneLine();
      expectRefused(await addToCart(customer.token, product.id, quantity), 'INVALID_INPUT', 'quantity');
      expect(await cartOf(customer.token)).toEqual(before);
    });
  }

  it('refuses an unknown product with NOT_FOUND on productId, writing nothing', async () => {
    const { customer, before } = await customerWithOneLine();
    supergraph.statements.orders.reset();
    expectRefused(await addToCart(customer.token, randomUUID(), 1), 'NOT_FOUND', 'productId');
    expect(supergraph.statements.orders.statements.filter((statement) => WRITE_STATEMENT.test(statement))).toEqual([]);
    expect(await cartOf(customer.token)).toEqual(before);
  });

  it('refuses an id that is not a product id with NOT_FOUND on productId', async () => {
    const { customer, before } = await customerWithOneLine();
    for (const productId of ['not-a-uuid', '', "1' OR '1'='1"]) {
      expectRefused(await addToCart(customer.token, productId, 1), 'NOT_FOUND', 'productId');
    }
    expect(await cartOf(customer.token)).toEqual(before);
  });

  it('refuses an archived product with NOT_FOUND on productId', async () => {
    const { customer, before } = await customerWithOneLine();
    const product = await createProduct({ price: '2.00', stock: 10 });
    const deleted = await supergraph.data(`mutation($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }`, { id: product.id }, { token: adminToken });
    expect(deleted.deleteProduct).toEqual({ deletedId: product.id, userErrors: [] });

    expectRefused(await addToCart(customer.token, product.id, 1), 'NOT_FOUND', 'productId');
    expect(await cartOf(customer.token)).toEqual(before);
  });

  it('refuses more than the stock with OUT_OF_STOCK, changing nothing', async () => {
    const { customer, before } = await customerWithOneLine();
    const product = await createProduct({ price: '2.00', stock: 3 });
    expectRefused(await addToCart(customer.token, product.id, 4), 'OUT_OF_STOCK', 'quantity');
    expect(await cartOf(customer.token)).toEqual(before);
  });

  it('refuses units that with those already in the cart exceed the stock', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '2.00', stock: 5 });
    expect((await addToCart(customer.token, product.id, 3)).userErrors).toEqual([]);
    const before = await cartOf(customer.token);

    expectRefused(await addToCart(customer.token, product.id, 3), 'OUT_OF_STOCK', 'quantity');
    expect(await cartOf(customer.token)).toEqual(before);
    expect(before.items[0]?.quantity).toBe(3);

    // What is left still fits.
    expect((await addToCart(customer.token, product.id, 2)).cart?.totalQuantity).toBe(5);
  });

  it('refuses a product with no stock, seeded or set by the admin', async () => {
    const { customer, before } = await customerWithOneLine();
    const seeded = await supergraph.data<{ products: { edges: Array<{ node: { id: string; stock: number } }> } }>(`{ products(first: 100) { edges { node { id stock } } } }`);
    const soldOut = seeded.products.edges.map((edge) => edge.node).find((node) => node.stock === 0);
    expect(soldOut).toBeDefined();
    expectRefused(await addToCart(customer.token, soldOut!.id, 1), 'OUT_OF_STOCK', 'quantity');

    const emptied = await createProduct({ price: '2.00', stock: 5 });
    await supergraph.data(`mutation($id: ID!) { updateStock(productId: $id, stock: 0) { userErrors { code } } }`, { id: emptied.id }, { token: adminToken });
    expectRefused(await addToCart(customer.token, emptied.id, 1), 'OUT_OF_STOCK', 'quantity');

    expect(await cartOf(customer.token)).toEqual(before);
  });

  it('names the product in an OUT_OF_STOCK message', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '2.00', stock: 1 });
    const payload = await addToCart(customer.token, product.id, 2);
    expect(payload.userErrors[0]?.message).toContain(product.sku);
  });
});

describe('updateCartItem', () => {
  it('sets the quantity of a line', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '3.33', stock: 10 });
    const added = (await addToCart(customer.token, product.id, 5)).cart!;

    const payload = await updateCartItem(customer.token, product.id, 2);

    expect(payload.userErrors).toEqual([]);
    expect(payload.cart).toMatchObject({ id: added.id, totalQuantity: 2, subtotal: usd('6.66') });
    expect(payload.cart!.items).toEqual([{ ...added.items[0], quantity: 2, lineTotal: usd('6.66') }]);
    expect(await cartOf(customer.token)).toEqual(payload.cart);
  });

  it('sets a quantity up to the stock, whatever was in the cart before', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '1.00', stock: 6 });
    await addToCart(customer.token, product.id, 4);
    const payload = await updateCartItem(customer.token, product.id, 6);
    expect(payload.userErrors).toEqual([]);
    expect(payload.cart?.totalQuantity).toBe(6);
  });

  it('removes the line when the quantity is 0, leaving the others', async () => {
    const customer = await supergraph.registerCustomer();
    const kept = await createProduct({ price: '1.50', stock: 10 });
    const removed = await createProduct({ price: '2.00', stock: 10 });
    await addToCart(customer.token, kept.id, 2);
    await addToCart(customer.token, removed.id, 3);

    const payload = await updateCartItem(customer.token, removed.id, 0);

    expect(payload.userErrors).toEqual([]);
    expect(payload.cart!.items.map((item) => item.product?.id)).toEqual([kept.id]);
    expect(payload.cart).toMatchObject({ totalQuantity: 2, subtotal: usd('3.00') });
    expect(await cartOf(customer.token)).toEqual(payload.cart);
  });

  it('refuses a quantity above the stock with OUT_OF_STOCK, changing nothing', async () => {
    const { customer, product, before } = await customerWithOneLine(2);
    expectRefused(await updateCartItem(customer.token, product.id, 11), 'OUT_OF_STOCK', 'quantity');
    expect(await cartOf(customer.token)).toEqual(before);
  });

  it('refuses a negative quantity with INVALID_INPUT on quantity, changing nothing', async () => {
    const { customer, product, before } = await customerWithOneLine(2);
    expectRefused(await updateCartItem(customer.token, product.id, -1), 'INVALID_INPUT', 'quantity');
    expect(await cartOf(customer.token)).toEqual(before);
  });

  it('refuses an unknown or archived product with NOT_FOUND on productId', async () => {
    const { customer, before } = await customerWithOneLine(2);
    const archived = await createProduct({ price: '2.00', stock: 10 });
    await supergraph.data(`mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }`, { id: archived.id }, { token: adminToken });

    for (const productId of [randomUUID(), 'not-a-uuid', archived.id]) {
      expectRefused(await updateCartItem(customer.token, productId, 1), 'NOT_FOUND', 'productId');
    }
    expect(await cartOf(customer.token)).toEqual(before);
  });
});

describe('removeFromCart', () => {
  it('removes the line', async () => {
    const customer = await supergraph.registerCustomer();
    const kept = await createProduct({ price: '1.10', stock: 10 });
    const removed = await createProduct({ price: '2.20', stock: 10 });
    await addToCart(customer.token, kept.id, 1);
    await addToCart(customer.token, removed.id, 4);

    const payload = await removeFromCart(customer.token, removed.id);

    expect(payload.userErrors).toEqual([]);
    expect(payload.cart!.items.map((item) => [item.product?.id, item.quantity])).toEqual([[kept.id, 1]]);
    expect(payload.cart).toMatchObject({ totalQuantity: 1, subtotal: usd('1.10') });
    expect(await cartOf(customer.token)).toEqual(payload.cart);

    const emptied = await removeFromCart(customer.token, kept.id);
    expect(emptied.cart).toMatchObject({ totalQuantity: 0, subtotal: usd('0.00'), items: [] });
  });

  it('refuses a product that is not in the cart with NOT_FOUND, changing nothing', async () => {
    const { customer, before } = await customerWithOneLine(2);
    const elsewhere = await createProduct({ price: '1.00', stock: 10 });
    for (const productId of [elsewhere.id, randomUUID(), 'not-a-uuid']) {
      expectRefused(await removeFromCart(customer.token, productId), 'NOT_FOUND', 'productId');
    }
    expect(await cartOf(customer.token)).toEqual(before);
  });

  it('refuses removing a line twice', async () => {
    const { customer, product } = await customerWithOneLine(1);
    expect((await removeFromCart(customer.token, product.id)).userErrors).toEqual([]);
    expectRefused(await removeFromCart(customer.token, product.id), 'NOT_FOUND', 'productId');
  });
});

describe('current prices and archived products', () => {
  it('prices the cart at the price the admin set last', async () => {
    const customer = await supergraph.registerCustomer();
    const changed = await createProduct({ price: '10.00', stock: 10 });
    const unchanged = await createProduct({ price: '1.00', stock: 10 });
    await addToCart(customer.token, changed.id, 3);
    await addToCart(customer.token, unchanged.id, 2);
    expect((await cartOf(customer.token)).subtotal).toEqual(usd('32.00'));

    const updated = await supergraph.data(
      `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { product { id } userErrors { code } } }`,
      { id: changed.id, input: { price: '7.15' } },
      { token: adminToken },
    );
    expect(updated.updateProduct.userErrors).toEqual([]);

    const cart = await cartOf(customer.token);
    expect(cart.items.map((item) => [item.product?.id, item.product?.price, item.lineTotal])).toEqual([
      [changed.id, usd('7.15'), usd('21.45')],
      [unchanged.id, usd('1.00'), usd('2.00')],
    ]);
    expect(cart.subtotal).toEqual(usd('23.45'));
  });

  it('shows the current stock of each line', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '1.00', stock: 10 });
    await addToCart(customer.token, product.id, 2);
    await supergraph.data(`mutation($id: ID!) { updateStock(productId: $id, stock: 0) { userErrors { code } } }`, { id: product.id }, { token: adminToken });
    const [item] = (await cartOf(customer.token)).items;
    expect(item?.product).toMatchObject({ id: product.id, stock: 0, inStock: false });
  });

  it('still resolves a product archived after it was put in the cart', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '6.50', stock: 10, name: 'Discontinued kombucha' });
    await addToCart(customer.token, product.id, 2);

    await supergraph.data(`mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }`, { id: product.id }, { token: adminToken });

    const cart = await cartOf(customer.token);
    expect(cart.items).toHaveLength(1);
    expect(cart.items[0]).toMatchObject({
      quantity: 2,
      lineTotal: usd('13.00'),
      product: { id: product.id, name: 'Discontinued kombucha', price: usd('6.50'), stock: 10, inStock: true },
    });
    expect(cart).toMatchObject({ totalQuantity: 2, subtotal: usd('13.00') });

    // It can still be taken out of the cart.
    expect((await removeFromCart(customer.token, product.id)).cart?.items).toEqual([]);
  });
});

describe('concurrent changes to one cart', () => {
  it('never holds more than the stock when one customer adds in a burst', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await createProduct({ price: '2.00', stock: 5 });

    const payloads = await Promise.all(Array.from({ length: 10 }, () => addToCart(customer.token, product.id, 1)));

    const accepted = payloads.filter((payload) => payload.userErrors.length === 0);
    const refusedCodes = payloads.filter((payload) => payload.userErrors.length > 0).map((payload) => payload.userErrors.map((error) => error.code));
    expect(accepted).toHaveLength(5);
    expect(refusedCodes).toEqual(Array.from({ length: 5 }, () => ['OUT_OF_STOCK']));
    const cart = await cartOf(customer.token);
    expect(cart.items.map((item) => item.quantity)).toEqual([5]);
    expect(cart.totalQuantity).toBe(5);
  });

  it("creates one cart when a new customer's first requests race", async () => {
    const customer = await supergraph.registerCustomer();
    const products = await Promise.all([1, 2, 3, 4].map(() => createProduct({ price: '1.00', stock: 10 })));

    const payloads = await Promise.all(products.map((product) => addToCart(customer.token, product.id, 1)));

    expect(payloads.flatMap((payload) => payload.userErrors)).toEqual([]);
    const cart = await cartOf(customer.token);
    expect(new Set(payloads.map((payload) => payload.cart?.id))).toEqual(new Set([cart.id]));
    expect(cart.items.map((item) => item.product?.id).sort()).toEqual(products.map((product) => product.id).sort());
  });
});

describe('cost of reading a cart', () => {
  /** Statements each database runs for one full `cart` query of this customer. */
  async function statementsForCartQuery(token: string) {
    supergraph.statements.products.reset();
    supergraph.statements.orders.reset();
    const cart = await cartOf(token);
    return { cart, products: supergraph.statements.products.count, orders: supergraph.statements.orders.count };
  }

  async function customerWithLines(lines: number) {
    const customer = await supergraph.registerCustomer();
    const products = await Promise.all(Array.from({ length: lines }, (_, index) => createProduct({ price: `${index + 1}.01`, stock: 50 })));
    for (const product of products) expect((await addToCart(customer.token, product.id, 2)).userErrors).toEqual([]);
    return customer;
  }

  it('costs the same number of statements for 20 lines as for 2', async () => {
    const small = await customerWithLines(2);
    const large = await customerWithLines(20);

    const smallCost = await statementsForCartQuery(small.token);
    const largeCost = await statementsForCartQuery(large.token);

    // The query really was answered in full, so the counts cover every field of CartFields.
    expect(smallCost.cart.items).toHaveLength(2);
    expect(largeCost.cart.items).toHaveLength(20);
    expect(largeCost.cart.items.every((item) => item.product !== null)).toBe(true);
    expect(largeCost.cart.totalQuantity).toBe(40);
    // 2 × (1.01 + 2.01 + … + 20.01) = 2 × 210.20
    expect(largeCost.cart.subtotal).toEqual(usd('420.40'));

    expect(smallCost.products).toBeGreaterThan(0);
    expect(largeCost.products).toBe(smallCost.products);
    expect(smallCost.orders).toBeGreaterThan(0);
    expect(largeCost.orders).toBe(smallCost.orders);
  });
});
