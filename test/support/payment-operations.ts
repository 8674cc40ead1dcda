import { print } from 'graphql';
import { CancelOrderDocument, InvoiceDocument, InvoicesDocument, PayOrderDocument, UpdateOrderStatusDocument } from '@greencart/client';
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestSupergraph } from './supergraph.js';

// The contract's payment and invoice operations (client/src/operations.graphql), as the
// frontends send them, and the helpers the payment and invoice tests share: admin-made products
// with known prices, saved test cards, placed and paid orders, and the money invariant.

const MONEY_FIELDS = /* GraphQL */ `
  fragment MoneyFields on Money {
    amount
    currencyCode
  }
`;

export const PAY_ORDER = print(PayOrderDocument);

/** The contract's Order query, narrowed to what payments change. */
export const ORDER = /* GraphQL */ `
  query Order($id: ID!) {
    order(id: $id) {
      id
      number
      status
      total {
        ...MoneyFields
      }
      items {
        quantity
        product {
          id
          stock
        }
      }
      transactions {
        id
        kind
        status
        amount {
          ...MoneyFields
        }
        failureReason
        createdAt
        paymentMethod {
          id
          brand
          last4
        }
      }
      invoice {
        id
        number
        issuedAt
        total {
          ...MoneyFields
        }
      }
    }
  }
  ${MONEY_FIELDS}
`;

export const CANCEL_ORDER = print(CancelOrderDocument);

export const UPDATE_ORDER_STATUS = print(UpdateOrderStatusDocument);

export const INVOICE = print(InvoiceDocument);

export const INVOICES = print(InvoicesDocument);

export const TEST_CARDS = {
  visa: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  mastercard: '5555555555554444',
} as const;

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
export interface TransactionView {
  id: string;
  kind: string;
  status: string;
  amount: Money;
  failureReason: string | null;
  createdAt: string;
  paymentMethod: { id: string; brand: string; last4: string } | null;
}
export interface OrderView {
  id: string;
  number: string;
  status: string;
  total: Money;
  items: Array<{ quantity: number; product: { id: string; stock: number } | null }>;
  transactions: TransactionView[];
  invoice: { id: string; number: string; issuedAt: string; total: Money } | null;
}
export interface PayOrderPayloadView {
  order: { id: string; status: string } | null;
  transaction: Omit<TransactionView, 'createdAt' | 'paymentMethod'> | null;
  userErrors: UserErrorView[];
}
export interface OrderPayloadView {
  order: { id: string; status: string } | null;
  userErrors: UserErrorView[];
}
export interface InvoiceView {
  id: string;
  number: string;
  issuedAt: string;
  /** A link to the printable page, signed afresh (with a new expiry) at each read. */
  printUrl: string;
  order: { id: string; number: string; status: string };
  billedTo: { name: string; email: string };
  lines: Array<{ description: string; sku: string; quantity: number; unitPrice: Money; lineTotal: Money }>;
  subtotal: Money;
  total: Money;
}
export interface InvoiceConnectionView {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: Array<{ node: { id: string; number: string; issuedAt: string; total: Money; order: { id: string; number: string } } }>;
}
export interface ProductView {
  id: string;
  sku: string;
  name: string;
}
export interface Customer {
  token: string;
  id: string;
  email: string;
}

/** Payment helpers bound to one test file's supergraph: everything through the gateway. */
export interface PaymentTools {
  adminToken: string;
  /** An admin-created product with a known price and stock, under a sku no other test uses. */
  createProduct(fields: { price: string; stock?: number; name?: string }): Promise<ProductView>;
  /** Saves a card for the customer; answers its id. */
  addCard(token: string, cardNumber: string): Promise<string>;
  removeCard(token: string, id: string): Promise<void>;
  /** placeOrder for the given lines, which must succeed. */
  placeOrder(token: string, items: Array<{ productId: string; quantity: number }>): Promise<{ id: string; number: string; total: Money }>;
  payOrder(token: string, orderId: string, paymentMethodId: string): Promise<PayOrderPayloadView>;
  /** A customer with an order of `quantity` × a new product at `price`, paid with a new Visa card. */
  paidOrder(customer: Customer, fields: { price: string; quantity?: number }): Promise<{ orderId: string; invoiceId: string; total: Money }>;
  order(token: string, id: string): Promise<OrderView | null>;
  cancelOrder(token: string, id: string): Promise<OrderPayloadView>;
  updateOrderStatus(id: string, status: string): Promise<OrderPayloadView>;
  stockOf(productId: string): Promise<number>;
  /** Asserts Σ succeeded charges − Σ succeeded refunds = Σ totals of orders that are paid, shipped or delivered. */
  expectMoneyInvariant(): Promise<void>;
}

/** Exact cents of a Decimal string such as "13.98". */
export function cents(amount: string): number {
  const match = /^(\d+)\.(\d{2})$/.exec(amount);
  expect(match, `${amount} is not a two-digit decimal`).not.toBeNull();
  return Number(match![1]) * 100 + Number(match![2]);
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
          total {
            amount
          }
          transactions {
            kind
            status
            amount {
              amount
            }
          }
        }
      }
    }
  }
`;

export async function paymentTools(supergraph: TestSupergraph): Promise<PaymentTools> {
  const adminToken = await supergraph.adminToken();
  const category = await supergraph.data(
    `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { category { id } userErrors { code } } }`,
    { input: { name: `Payment tests ${randomUUID().slice(0, 8)}` } },
    { token: adminToken },
  );
  const categoryId: string = category.createCategory.category.id;
  let skuSequence = 0;

  const tools: PaymentTools = {
    adminToken,

    async createProduct({ price, stock = 50, name }) {
      skuSequence += 1;
      const sku = `PAY-${skuSequence}-${randomUUID().slice(0, 8)}`.toUpperCase();
      const data = await supergraph.data(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id sku name } userErrors { field code message } } }`,
        { input: { sku, name: name ?? `Payment test product ${skuSequence}`, description: 'For payment tests', price, stock, categoryId } },
        { token: adminToken },
      );
      expect(data.createProduct.userErrors).toEqual([]);
      return data.createProduct.product;
    },

    async addCard(token, cardNumber) {
      const data = await supergraph.data(
        `mutation($input: PaymentMethodInput!) { addPaymentMethod(input: $input) { paymentMethod { id } userErrors { field code } } }`,
        { input: { cardNumber, expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvc: '123' } },
        { token },
      );
      expect(data.addPaymentMethod.userErrors).toEqual([]);
      return data.addPaymentMethod.paymentMethod.id;
    },

    async removeCard(token, id) {
      const data = await supergraph.data(`mutation($id: ID!) { removePaymentMethod(id: $id) { removedId userErrors { code } } }`, { id }, { token });
      expect(data.removePaymentMethod).toEqual({ removedId: id, userErrors: [] });
    },

    async placeOrder(token, items) {
      const data = await supergraph.data(
        `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number status total { amount currencyCode } } userErrors { field code message } } }`,
        { input: { idempotencyKey: randomUUID(), items } },
        { token },
      );
      expect(data.placeOrder.userErrors).toEqual([]);
      expect(data.placeOrder.order.status).toBe('PENDING_PAYMENT');
      return data.placeOrder.order;
    },

    async payOrder(token, orderId, paymentMethodId) {
      return (await supergraph.data<{ payOrder: PayOrderPayloadView }>(PAY_ORDER, { input: { orderId, paymentMethodId } }, { token })).payOrder;
    },

    async paidOrder(customer, { price, quantity = 1 }) {
      const product = await tools.createProduct({ price });
      const order = await tools.placeOrder(customer.token, [{ productId: product.id, quantity }]);
      const card = await tools.addCard(customer.token, TEST_CARDS.visa);
      const paid = await tools.payOrder(customer.token, order.id, card);
      expect(paid.userErrors).toEqual([]);
      const view = await tools.order(customer.token, order.id);
      expect(view?.invoice).not.toBeNull();
      return { orderId: order.id, invoiceId: view!.invoice!.id, total: order.total };
    },

    async order(token, id) {
      return (await supergraph.data<{ order: OrderView | null }>(ORDER, { id }, { token })).order;
    },

    async cancelOrder(token, id) {
      return (await supergraph.data<{ cancelOrder: OrderPayloadView }>(CANCEL_ORDER, { id }, { token })).cancelOrder;
    },

    async updateOrderStatus(id, status) {
      return (await supergraph.data<{ updateOrderStatus: OrderPayloadView }>(UPDATE_ORDER_STATUS, { id, status }, { token: adminToken })).updateOrderStatus;
    },

    async stockOf(productId) {
      const data = await supergraph.data(`query($id: ID!) { product(id: $id) { stock } }`, { id: productId });
      return data.product.stock;
    },

    async expectMoneyInvariant() {
      type Node = { id: string; status: string; total: { amount: string }; transactions: Array<{ kind: string; status: string; amount: { amount: string } }> };
      const orders: Node[] = [];
      let after: string | null = null;
      for (;;) {
        const data: { orders: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: Node }> } } = await supergraph.data(ALL_ORDERS, { after }, { token: adminToken });
        orders.push(...data.orders.edges.map((edge) => edge.node));
        if (!data.orders.pageInfo.hasNextPage) break;
        after = data.orders.pageInfo.endCursor;
      }
      const sum = (amounts: string[]) => amounts.reduce((total, amount) => total + cents(amount), 0);
      // Order by order first, so that a failure names the order: what it kept equals what it owes.
      const kept = (order: Node, kind: string) =>
        sum(order.transactions.filter((transaction) => transaction.kind === kind && transaction.status === 'SUCCEEDED').map((transaction) => transaction.amount.amount));
      const owes = (order: Node) => (['PAID', 'SHIPPED', 'DELIVERED'].includes(order.status) ? cents(order.total.amount) : 0);
      expect(Object.fromEntries(orders.map((order) => [`${order.id} (${order.status})`, kept(order, 'CHARGE') - kept(order, 'REFUND')]))).toEqual(
        Object.fromEntries(orders.map((order) => [`${order.id} (${order.status})`, owes(order)])),
      );
      const transactions = orders.flatMap((order) => order.transactions).filter((transaction) => transaction.status === 'SUCCEEDED');
      const charged = sum(transactions.filter((transaction) => transaction.kind === 'CHARGE').map((transaction) => transaction.amount.amount));
      const refunded = sum(transactions.filter((transaction) => transaction.kind === 'REFUND').map((transaction) => transaction.amount.amount));
      const owed = sum(orders.filter((order) => ['PAID', 'SHIPPED', 'DELIVERED'].includes(order.status)).map((order) => order.total.amount));
      expect(orders.length, 'the invariant has orders to count').toBeGreaterThan(0);
      expect(charged - refunded).toBe(owed);
    },
  };
  return tools;
}
