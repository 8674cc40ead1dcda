import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoughtTogetherDocument, CartSuggestionsDocument } from '@greencart/client';
import { ADD_TO_CART } from './support/cart-operations.js';
import { orderTools, type OrderTools, type ProductView } from './support/order-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// "Bought together" end to end: orders counts product pairs as orders are placed and cancelled,
// and the gateway answers Product.boughtTogether and Cart.suggestions with products' own fields.

const BOUGHT_TOGETHER = print(BoughtTogetherDocument);
const CART_SUGGESTIONS = print(CartSuggestionsDocument);

interface SuggestedProduct {
  id: string;
  name: string;
  price: { amount: string; currencyCode: string };
  inStock: boolean;
}

let supergraph: TestSupergraph;
let tools: OrderTools;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  tools = await orderTools(supergraph);
});
afterAll(() => supergraph?.stop());

async function products(count: number, name = 'Bought together'): Promise<ProductView[]> {
  const made: ProductView[] = [];
  for (let i = 0; i < count; i++) made.push(await tools.createProduct({ stock: 100, name: `${name} ${i + 1}` }));
  return made;
}

async function order(token: string, ...lines: ProductView[]) {
  return tools.placed(
    token,
    lines.map((product) => ({ productId: product.id, quantity: 1 })),
  );
}

/** The names `boughtTogether` shows for a product, in its order. */
async function boughtTogether(product: ProductView, first?: number): Promise<string[]> {
  const data = await supergraph.data<{ product: { id: string; boughtTogether: SuggestedProduct[] } }>(BOUGHT_TOGETHER, { id: product.id, first });
  return data.product.boughtTogether.map((suggested) => suggested.name);
}

async function suggestions(token: string, first?: number): Promise<string[]> {
  const data = await supergraph.data<{ cart: { suggestions: SuggestedProduct[] } }>(CART_SUGGESTIONS, { first }, { token });
  return data.cart.suggestions.map((suggested) => suggested.name);
}

describe('Product.boughtTogether', () => {
  it('ranks by orders holding both, the most recent first on a tie; a cancelled order stops counting; archived products and the product itself are left out', async () => {
    const customer = await supergraph.registerCustomer();
    const [a, b, c, d, e, f] = (await products(6, `Pair ${randomUUID().slice(0, 6)}`)) as [ProductView, ProductView, ProductView, ProductView, ProductView, ProductView];
    const name = (product: ProductView) => product.name;

    expect(await boughtTogether(a)).toEqual([]);

    await order(customer.token, a, b);
    await order(customer.token, b, a);
    await order(customer.token, a, c);
    await order(customer.token, a, d);
    // B in two orders; C and D in one each, D the more recent.
    expect(await boughtTogether(a)).toEqual([b, d, c].map(name));
    expect(await boughtTogether(b)).toEqual([a].map(name));

    const later = await order(customer.token, a, c, e);
    // C now ties B at two orders, and its latest is the more recent; E ties D, and is the more recent.
    expect(await boughtTogether(a)).toEqual([c, b, e, d].map(name));
    expect(await boughtTogether(a, 1)).toEqual([c].map(name));
    expect((await boughtTogether(e)).sort()).toEqual([a, c].map(name).sort());

    // Cancelled: C falls back to its one earlier order, behind the more recent D; E is gone.
    expect((await tools.cancelOrder(customer.token, later.id)).userErrors).toEqual([]);
    expect(await boughtTogether(a)).toEqual([b, d, c].map(name));
    expect(await boughtTogether(e)).toEqual([]);

    await order(customer.token, a, f);
    expect(await boughtTogether(a)).toEqual([b, f, d, c].map(name));
    await tools.archiveProduct(f.id);
    expect(await boughtTogether(a)).toEqual([b, d, c].map(name));

    // The products' own fields come from the catalogue, as for any product.
    const data = await supergraph.data(BOUGHT_TOGETHER, { id: a.id, first: 1 });
    expect(data.product.boughtTogether).toEqual([{ id: b.id, name: b.name, price: { amount: '10.00', currencyCode: 'USD' }, inStock: true }]);
    await tools.setStock(b.id, 0);
    const other = await supergraph.data(`query($id: ID!) { product(id: $id) { boughtTogether(first: 1) { id inStock stock sku } } }`, { id: a.id });
    expect(other.product.boughtTogether).toEqual([{ id: b.id, inStock: false, stock: 0, sku: b.sku }]);
  });

  it('counts the orders placed before the table existed (the migration back-fills it)', async () => {
    // The back-fill is the migration's last statement: run it again on an emptied table.
    const customer = await supergraph.registerCustomer();
    const [a, b, c] = (await products(3, `Backfill ${randomUUID().slice(0, 6)}`)) as [ProductView, ProductView, ProductView];
    await order(customer.token, a, b);
    await order(customer.token, a, b);
    const cancelled = await order(customer.token, a, c);
    await tools.cancelOrder(customer.token, cancelled.id);
    await order(customer.token, a, c);
    const before = await boughtTogether(a);

    const sql = postgres(supergraph.databaseUrls.orders, { max: 1, onnotice: () => {} });
    try {
      const migration = await import('node:fs/promises').then((fs) => fs.readFile(new URL('../subgraphs/orders/migrations/0004_bought_together.sql', import.meta.url), 'utf8'));
      const backfill = migration.split('--> statement-breakpoint').at(-1)!;
      await sql.begin(async (tx) => {
        await tx`delete from product_pairs`;
        await tx.unsafe(backfill);
      });
    } finally {
      await sql.end();
    }
    expect(before).toEqual([b, c].map((product) => product.name));
    expect(await boughtTogether(a)).toEqual(before);
  });

  it.each([0, 21, -1])('refuses first: %i with BAD_USER_INPUT', async (first) => {
    const [product] = (await products(1)) as [ProductView];
    const response = await supergraph.request(BOUGHT_TOGETHER, { id: product.id, first });
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.message).toBe('first must be 1 to 20.');
  });

  it('takes first: 20', async () => {
    const customer = await supergraph.registerCustomer();
    const made = await products(22, `Twenty ${randomUUID().slice(0, 6)}`);
    await order(customer.token, ...made);
    const shown = await boughtTogether(made[0]!, 20);
    expect(shown).toHaveLength(20);
    expect(shown).not.toContain(made[0]!.name);
  });
});

describe('when many top partners are archived', () => {
  it('still shows `first` active products, reading past the candidates it reads at first', async () => {
    const customer = await supergraph.registerCustomer();
    const [product, ...partners] = await products(42, `Archived ${randomUUID().slice(0, 6)}`);
    await order(customer.token, product!, ...partners);
    // One order each, at the same moment: the ties go by id, so archive the 36 first by id.
    const byId = [...partners].sort((x, y) => (x.id < y.id ? -1 : 1));
    for (const partner of byId.slice(0, 36)) await tools.archiveProduct(partner.id);
    expect(await boughtTogether(product!, 5)).toEqual(byId.slice(36).map((partner) => partner.name));
  });
});

describe('concurrent orders over the same products', () => {
  it('all count, whatever the order of their lines', async () => {
    const made = await products(4, `Burst ${randomUUID().slice(0, 6)}`);
    const customers = await Promise.all(Array.from({ length: 8 }, () => supergraph.registerCustomer()));
    await Promise.all(customers.map((customer, index) => order(customer.token, ...(index % 2 === 0 ? made : [...made].reverse()))));
    const sql = postgres(supergraph.databaseUrls.orders, { max: 1, onnotice: () => {} });
    try {
      const ids = made.map((product) => product.id);
      const rows = await sql<Array<{ orders_count: number }>>`select orders_count from product_pairs where product_id = any(${ids}::uuid[])`;
      expect(rows.map((row) => row.orders_count)).toEqual(Array(12).fill(8));
    } finally {
      await sql.end();
    }
  });
});

describe('Cart.suggestions', () => {
  it("suggests what was bought with the cart's products, not what is in it, ranked by summed counts", async () => {
    const buyer = await supergraph.registerCustomer();
    const [p, q, r, s, t] = (await products(5, `Cart ${randomUUID().slice(0, 6)}`)) as [ProductView, ProductView, ProductView, ProductView, ProductView];
    await order(buyer.token, p, r);
    await order(buyer.token, q, r);
    await order(buyer.token, p, s);
    await order(buyer.token, q, t);

    const shopper = await supergraph.registerCustomer();
    expect(await suggestions(shopper.token)).toEqual([]);
    for (const product of [p, q]) {
      const added = await supergraph.data(ADD_TO_CART, { input: { productId: product.id, quantity: 1 } }, { token: shopper.token });
      expect(added.addToCart.userErrors).toEqual([]);
    }
    // R: one order with P and one with Q; T and S one each, T the more recent.
    expect(await suggestions(shopper.token)).toEqual([r, t, s].map((product) => product.name));
    expect(await suggestions(shopper.token, 2)).toEqual([r, t].map((product) => product.name));

    const cartWithR = await supergraph.data(ADD_TO_CART, { input: { productId: r.id, quantity: 1 } }, { token: shopper.token });
    expect(cartWithR.addToCart.userErrors).toEqual([]);
    expect(await suggestions(shopper.token)).toEqual([t, s].map((product) => product.name));

    await tools.archiveProduct(t.id);
    expect(await suggestions(shopper.token)).toEqual([s].map((product) => product.name));

    for (const first of [0, 21]) {
      const response = await supergraph.request(CART_SUGGESTIONS, { first }, { token: shopper.token });
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('cost of a page of products with boughtTogether', () => {
  const PAGE = /* GraphQL */ `
    query ($first: Int!, $search: String!) {
      products(first: $first, filter: { search: $search }) {
        edges {
          node {
            id
            boughtTogether(first: 5) {
              id
              name
              price {
                amount
              }
              inStock
            }
          }
        }
      }
    }
  `;

  const PAGE_ALONE = /* GraphQL */ `
    query ($first: Int!, $search: String!) {
      products(first: $first, filter: { search: $search }) {
        edges {
          node {
            id
            boughtTogether: id
          }
        }
      }
    }
  `;

  async function costOfPage(first: number, search: string, query = PAGE) {
    supergraph.statements.orders.reset();
    supergraph.statements.products.reset();
    const data = await supergraph.data<{ products: { edges: Array<{ node: { id: string; boughtTogether: Array<{ name: string }> } }> } }>(query, { first, search });
    return { edges: data.products.edges, orders: supergraph.statements.orders.applicationCount, products: supergraph.statements.products.applicationCount };
  }

  it('is one statement in orders and one in products, for 1 product as for 20', async () => {
    const search = `Batch${randomUUID().slice(0, 8)}`;
    const customer = await supergraph.registerCustomer();
    const made = await products(21, search);
    // Every product bought with every other, in two orders.
    await order(customer.token, ...made);
    await order(customer.token, ...made.slice(0, 10));

    const one = await costOfPage(1, search);
    const twenty = await costOfPage(20, search);

    expect(one.edges).toHaveLength(1);
    expect(twenty.edges).toHaveLength(20);
    for (const { node } of twenty.edges) expect(node.boughtTogether).toHaveLength(5);
    expect(one.orders).toBe(1);
    expect(twenty.orders).toBe(1);
    // The page itself is a statement in products; boughtTogether adds one more (orders asks
    // products which candidates are archived, and provides their names, prices and stock).
    const pageAlone = await costOfPage(20, search, PAGE_ALONE);
    expect(pageAlone.orders).toBe(0);
    expect(one.products).toBe(pageAlone.products + 1);
    expect(twenty.products).toBe(pageAlone.products + 1);
  });
});
