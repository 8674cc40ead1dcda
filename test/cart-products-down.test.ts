import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

import { ADD_TO_CART } from './support/cart-operations.js';
/** The part of a cart the orders subgraph owns alone: it needs nothing from products. */
const ORDERS_OWNED_CART = /* GraphQL */ `
  {
    cart {
      id
      totalQuantity
      items {
        id
        quantity
        product {
          id
        }
      }
    }
  }
`;
const WRITE_STATEMENT = /^\s*(insert|update|delete)\b/i;

interface OrdersOwnedCart {
  id: string;
  totalQuantity: number;
  items: Array<{ id: string; quantity: number; product: { id: string } | null }>;
}

// A supergraph of its own: products is stopped here and cannot be restarted.
let supergraph: TestSupergraph;
let customer: { token: string };
let inCart: { id: string };
let notInCart: { id: string };
let before: OrdersOwnedCart;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  const adminToken = await supergraph.adminToken();
  const created = await supergraph.data(`mutation { createCategory(input: { name: "Pantry" }) { category { id } } }`, {}, { token: adminToken });
  const categoryId: string = created.createCategory.category.id;
  const createProduct = async () => {
    const data = await supergraph.data(
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { code } } }`,
      { input: { sku: `DOWN-${randomUUID().slice(0, 8)}`, name: 'Rye flour', price: '3.20', stock: 10, categoryId } },
      { token: adminToken },
    );
    expect(data.createProduct.userErrors).toEqual([]);
    return data.createProduct.product as { id: string };
  };
  inCart = await createProduct();
  notInCart = await createProduct();
  customer = await supergraph.registerCustomer();
  const added = await supergraph.data(ADD_TO_CART, { input: { productId: inCart.id, quantity: 2 } }, { token: customer.token });
  expect(added.addToCart.userErrors).toEqual([]);
  before = (await supergraph.data<{ cart: OrdersOwnedCart }>(ORDERS_OWNED_CART, {}, { token: customer.token })).cart;
  expect(before).toMatchObject({ totalQuantity: 2, items: [{ quantity: 2, product: { id: inCart.id } }] });

  await supergraph.stopSubgraph('products');
});
afterAll(() => supergraph?.stop());

describe('cart while the products subgraph is down', () => {
  for (const [name, productId] of [
    ['a product not yet in the cart', () => notInCart.id],
    ['more of a product already in the cart', () => inCart.id],
  ] as const) {
    it(`refuses to add ${name}, writing nothing`, async () => {
      supergraph.statements.orders.reset();
      const response = await supergraph.request(ADD_TO_CART, { input: { productId: productId(), quantity: 1 } }, { token: customer.token });

      // Either a top-level error or a refusal in the payload, never a changed cart.
      const payload = response.data?.addToCart ?? null;
      if (payload === null) {
        expect(response.errors?.length).toBeGreaterThan(0);
      } else {
        expect(payload.cart).toBeNull();
        expect(payload.userErrors.length).toBeGreaterThan(0);
      }
      expect(supergraph.statements.orders.statements.filter((statement) => WRITE_STATEMENT.test(statement))).toEqual([]);

      const after = await supergraph.data<{ cart: OrdersOwnedCart }>(ORDERS_OWNED_CART, {}, { token: customer.token });
      expect(after.cart).toEqual(before);
    });
  }

  it('still answers the orders-owned part of the cart in full', async () => {
    const response = await supergraph.request<{ cart: OrdersOwnedCart }>(ORDERS_OWNED_CART, {}, { token: customer.token });
    expect(response.errors).toBeUndefined();
    expect(response.data.cart).toEqual(before);
  });

  it('answers a full cart query with the data it could get plus an error, and the gateway stays up', async () => {
    const response = await supergraph.request(`{ cart { id totalQuantity subtotal { amount } items { quantity lineTotal { amount } product { id name } } } }`, {}, { token: customer.token });
    expect(response.status).toBe(200);
    expect(response.errors?.length).toBeGreaterThan(0);
    // What orders owns survives; only what needs the catalogue is null.
    expect(response.data.cart).toMatchObject({ id: before.id, totalQuantity: before.totalQuantity, subtotal: null });
    expect(response.data.cart.items.map((item: { quantity: number; lineTotal: unknown; product: unknown }) => [item.quantity, item.lineTotal, item.product])).toEqual(
      before.items.map((item) => [item.quantity, null, null]),
    );
    expect((await fetch(`${supergraph.gatewayUrl}/health`)).status).toBe(200);
  });
});
