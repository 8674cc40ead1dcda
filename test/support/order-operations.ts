import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { expect } from 'vitest';
import { CancelOrderDocument, MyOrdersDocument, OrderDocument, OrdersDocument, PlaceOrderDocument, UpdateOrderStatusDocument } from '@greencart/client';
import type { TestSupergraph } from './supergraph.js';

// The contract's order operations, exactly as the typed SDK sends them (its generated documents),
// and the helpers the order tests share: admin-made products with known stock, placing orders,
// and the stock invariant.

export const PLACE_ORDER = print(PlaceOrderDocument);
export const ORDERS = print(OrdersDocument);
export const ORDER = print(OrderDocument);
export const MY_ORDERS = print(MyOrdersDocument);
export const CANCEL_ORDER = print(CancelOrderDocument);
export const UPDATE_ORDER_STATUS = print(UpdateOrderStatusDocument);

export interface Money {
  amount: string;
  currencyCode: string;
}
export const usd = (amount: string): Money => ({ amount, currencyCode: 'USD' });

export interface UserErrorView {
  field: string | null;
  message: string;
  code: string;
}
export interface OrderItemView {
  id: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
  product: { id: string; sku: string; name: string; price: Money; stock: number; inStock: boolean } | null;
}
export interface OrderView {
  id: string;
  number: string;
  status: string;
  createdAt: string;
  subtotal: Money;
  total: Money;
  items: OrderItemView[];
}
export interface OrderPayloadView {
  order: OrderView | null;
  userErrors: UserErrorView[];
}
export interface OrderConnectionView {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: Array<{ cursor: string; node: OrderView }>;
}
export interface PlaceOrderInput {
  idempotencyKey: string;
  items?: Array<{ productId: string; quantity: number }>;
  shippingAddressId?: string;
}
export interface ProductView {
  id: string;
  sku: string;
  name: string;
}

/** An order as the invariant reads it. */
export interface ListedOrder {
  id: string;
  status: string;
  items: Array<{ quantity: number; product: { id: string } | null }>;
}
interface Page<Node> {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: Array<{ node: Node }>;
}

/** Order helpers bound to one test file's supergraph: everything through the gateway. */
export interface OrderTools {
  adminToken: string;
  /** An admin-created product with a known price and stock, under a sku no other test uses. */
  createProduct(fields: { stock: number; price?: string; name?: string }): Promise<ProductView>;
  /** Sets a product's stock as the admin; the invariant then counts from the new stock. */
  setStock(productId: string, stock: number): Promise<void>;
  /** The product's stock now, as the catalogue shows it (active products only). */
  stockOf(productId: string): Promise<number>;
  /** Archives a product as the admin; the invariant leaves it out from then on (the catalogue hides it). */
  archiveProduct(productId: string): Promise<void>;
  /** placeOrder; fails the test on any top-level error. */
  placeOrder(token: string, input: PlaceOrderInput): Promise<OrderPayloadView>;
  /** placeOrder that must succeed; answers the order. */
  placed(token: string, items: Array<{ productId: string; quantity: number }>): Promise<OrderView>;
  cancelOrder(token: string, id: string): Promise<OrderPayloadView>;
  /** How many orders exist (the admin's `orders` totalCount). */
  orderCount(): Promise<number>;
  /** Every order, as the admin lists them, newest first. */
  allOrders(): Promise<ListedOrder[]>;
  /** Units of the product held by orders that are not cancelled. */
  heldUnits(productId: string): Promise<number>;
  /** Asserts, for every product made here: initial stock = stock + units held by orders not cancelled. */
  expectStockInvariant(): Promise<void>;
}

const ALL_ORDERS = /* GraphQL */ `
  query AllOrders($after: String) {
    orders(first: 100, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          status
          items {
            quantity
            product {
              id
            }
          }
        }
      }
    }
  }
`;

const CATALOGUE_STOCK = /* GraphQL */ `
  query CatalogueStock($after: String, $search: String) {
    products(first: 100, after: $after, filter: { search: $search }) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          stock
        }
      }
    }
  }
`;
const SKU_PREFIX = 'ORD-';

let skuSequence = 0;

export async function orderTools(supergraph: TestSupergraph): Promise<OrderTools> {
  const adminToken = await supergraph.adminToken();
  const category = await supergraph.data(
    `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { category { id } userErrors { code } } }`,
    { input: { name: `Order tests ${randomUUID().slice(0, 8)}` } },
    { token: adminToken },
  );
  const categoryId: string = category.createCategory.category.id;
  /** What the invariant counts from: the stock each product was given. */
  const initialStock = new Map<string, number>();

  /** The stock of every active product made here, in a few catalogue pages. */
  async function catalogueStock(): Promise<Map<string, number>> {
    const stock = new Map<string, number>();
    let after: string | null = null;
    for (;;) {
      const data: { products: Page<{ id: string; stock: number }> } = await supergraph.data(CATALOGUE_STOCK, { after, search: SKU_PREFIX });
      for (const { node } of data.products.edges) stock.set(node.id, node.stock);
      if (!data.products.pageInfo.hasNextPage) return stock;
      after = data.products.pageInfo.endCursor;
    }
  }

  const tools: OrderTools = {
    adminToken,

    async createProduct({ stock, price = '10.00', name }) {
      skuSequence += 1;
      const sku = `${SKU_PREFIX}${skuSequence}-${randomUUID().slice(0, 8)}`.toUpperCase();
      const data = await supergraph.data(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id sku name } userErrors { field code message } } }`,
        { input: { sku, name: name ?? `Order test product ${skuSequence}`, description: 'For order tests', price, stock, categoryId } },
        { token: adminToken },
      );
      expect(data.createProduct.userErrors).toEqual([]);
      initialStock.set(data.createProduct.product.id, stock);
      return data.createProduct.product;
    },

    async setStock(productId, stock) {
      const held = await tools.heldUnits(productId);
      const data = await supergraph.data(
        `mutation($id: ID!, $stock: Int!) { updateStock(productId: $id, stock: $stock) { product { stock } userErrors { code } } }`,
        { id: productId, stock },
        { token: adminToken },
      );
      expect(data.updateStock).toEqual({ product: { stock }, userErrors: [] });
      initialStock.set(productId, stock + held);
    },

    async stockOf(productId) {
      const data = await supergraph.data(`query($id: ID!) { product(id: $id) { stock } }`, { id: productId });
      expect(data.product, `product ${productId} is not in the catalogue`).not.toBeNull();
      return data.product.stock;
    },

    async archiveProduct(productId) {
      const data = await supergraph.data(`mutation($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }`, { id: productId }, { token: adminToken });
      expect(data.deleteProduct).toEqual({ deletedId: productId, userErrors: [] });
      initialStock.delete(productId);
    },

    async placeOrder(token, input) {
      return (await supergraph.data<{ placeOrder: OrderPayloadView }>(PLACE_ORDER, { input }, { token })).placeOrder;
    },

    async placed(token, items) {
      const payload = await tools.placeOrder(token, { idempotencyKey: randomUUID(), items });
      expect(payload.userErrors).toEqual([]);
      expect(payload.order).not.toBeNull();
      return payload.order!;
    },

    async cancelOrder(token, id) {
      return (await supergraph.data<{ cancelOrder: OrderPayloadView }>(CANCEL_ORDER, { id }, { token })).cancelOrder;
    },

    async orderCount() {
      return (await supergraph.data(`{ orders(first: 0) { totalCount } }`, {}, { token: adminToken })).orders.totalCount;
    },

    async allOrders() {
      const all: ListedOrder[] = [];
      let after: string | null = null;
      for (;;) {
        const data: { orders: Page<ListedOrder> } = await supergraph.data(ALL_ORDERS, { after }, { token: adminToken });
        all.push(...data.orders.edges.map((edge) => edge.node));
        if (!data.orders.pageInfo.hasNextPage) return all;
        after = data.orders.pageInfo.endCursor;
      }
    },

    async heldUnits(productId) {
      const orders = await tools.allOrders();
      return orders
        .filter((order) => order.status !== 'CANCELLED')
        .flatMap((order) => order.items)
        .filter((item) => item.product?.id === productId)
        .reduce((sum, item) => sum + item.quantity, 0);
    },

    async expectStockInvariant() {
      const orders = await tools.allOrders();
      const held = new Map<string, number>();
      for (const order of orders) {
        if (order.status === 'CANCELLED') continue;
        for (const item of order.items) {
          expect(item.product, `a line of order ${order.id} has no product`).not.toBeNull();
          held.set(item.product!.id, (held.get(item.product!.id) ?? 0) + item.quantity);
        }
      }
      const stock = await catalogueStock();
      const actual = [...initialStock.keys()].map((id) => [id, (stock.get(id) ?? Number.NaN) + (held.get(id) ?? 0)]);
      expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(initialStock));
    },
  };
  return tools;
}
