import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ExecutionResult } from 'graphql';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildSubgraphSchemaFromFile, ChangeFeed, createLogger, createRemoteUserTokenVerifier, createSubgraphClient, type IncomingGraphQLRequest, type ServiceName } from '@greencart/platform';
import { createAccountsClient, createInvoiceLinks, createStockClient, createTestPaymentProcessor, prepareOrdersDatabase } from '@greencart/orders';
import { prepareProductsDatabase } from '@greencart/products';
import { createContextFactory as createOrdersContextFactory } from '../subgraphs/orders/src/context.js';
import { resolvers as ordersResolvers } from '../subgraphs/orders/src/resolvers/index.js';
import { createContextFactory as createProductsContextFactory } from '../subgraphs/products/src/context.js';
import { resolvers as productsResolvers } from '../subgraphs/products/src/resolvers/index.js';
import { paymentTools, type PaymentTools } from './support/payment-operations.js';
import { startSupergraph, TOKEN_SETTINGS, type TestSupergraph } from './support/supergraph.js';

// The subgraphs' own Subscription resolvers, executed in process with graphql-js (HTTP refuses
// subscriptions, and the gateway serves them from the feeds): the checks at subscribe time, and
// events from a real change feed on the subgraph's database.

// The schema is built by @apollo/subgraph, which loads graphql's CommonJS build; executing it with
// the ESM build that vitest would import fails graphql's one-copy check.
const { parse, subscribe } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const logger = createLogger('subscription-test', 'silent');
let supergraph: TestSupergraph;
let payments: PaymentTools;
let productsDatabase: Awaited<ReturnType<typeof prepareProductsDatabase>>;
let ordersDatabase: Awaited<ReturnType<typeof prepareOrdersDatabase>>;
let productChanges: ChangeFeed;
let orderChanges: ChangeFeed;

const databaseName = (url: string) => new URL(url).pathname.slice(1);
const request = (token?: string): IncomingGraphQLRequest => ({
  headers: token ? { authorization: `Bearer ${token}` } : {},
  caller: 'gateway',
  clientAddress: undefined,
  requestId: randomUUID(),
  logger,
});

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  payments = await paymentTools(supergraph);
  const serverUrl = inject('postgresServerUrl');
  productsDatabase = await prepareProductsDatabase({ serverUrl, name: databaseName(supergraph.databaseUrls.products) });
  ordersDatabase = await prepareOrdersDatabase({ serverUrl, name: databaseName(supergraph.databaseUrls.orders) });
  productChanges = new ChangeFeed({ sql: productsDatabase.sql, channel: 'greencart_product_changed', typename: 'Product', logger });
  orderChanges = new ChangeFeed({ sql: ordersDatabase.sql, channel: 'greencart_order_changed', typename: 'Order', logger });
  await Promise.all([productChanges.start(), orderChanges.start()]);
});

afterAll(async () => {
  await Promise.all([productChanges?.stop(), orderChanges?.stop()]);
  await Promise.all([productsDatabase?.close(), ordersDatabase?.close()]);
  await supergraph?.stop();
});

const verifier = () => createRemoteUserTokenVerifier({ ...TOKEN_SETTINGS, jwksUrl: supergraph.jwksUrl, cacheSeconds: 300, refetchCooldownSeconds: 30 });

async function subscribeToProducts(ids: string[]) {
  const schema = buildSubgraphSchemaFromFile(new URL('../subgraphs/products/schema.graphql', import.meta.url), productsResolvers);
  const contextValue = await createProductsContextFactory({ database: productsDatabase, verifier: verifier(), productChanges })(request());
  const document = parse(`subscription($ids: [ID!]!) { productUpdated(ids: $ids) { id stock } }`);
  return subscribe({ schema, document, variableValues: { ids }, contextValue });
}

async function subscribeToOrder(id: string, token?: string) {
  const credentials = supergraph.serviceCredentials('orders');
  const client = (name: ServiceName, url: string) => createSubgraphClient({ name, url, credentials, timeoutMs: 15_000 });
  const products = client('products', supergraph.subgraphUrls.products);
  const contextValue = await createOrdersContextFactory({
    database: ordersDatabase,
    verifier: verifier(),
    products,
    stock: createStockClient(products),
    accounts: createAccountsClient(client('accounts', supergraph.subgraphUrls.accounts)),
    processor: createTestPaymentProcessor(),
    invoiceLinks: createInvoiceLinks({ secret: randomBytes(32).toString('base64url'), publicUrl: 'http://127.0.0.1:4000' }),
    orderChanges,
  })(request(token));
  const schema = buildSubgraphSchemaFromFile(new URL('../subgraphs/orders/schema.graphql', import.meta.url), ordersResolvers);
  const document = parse(`subscription($id: ID!) { orderUpdated(id: $id) { id status } }`);
  return subscribe({ schema, document, variableValues: { id }, contextValue });
}

function errorCodes(result: Awaited<ReturnType<typeof subscribe>>): unknown[] {
  expect(Symbol.asyncIterator in result, 'the subscription started').toBe(false);
  return ((result as ExecutionResult).errors ?? []).map((error) => error.extensions.code);
}

describe('productUpdated', () => {
  it.each([0, 101])('refuses %i ids with BAD_USER_INPUT', async (count) => {
    const ids = Array.from({ length: count }, () => randomUUID());
    expect(errorCodes(await subscribeToProducts(ids))).toEqual(['BAD_USER_INPUT']);
  });

  it('sends a followed product as it is after each committed change, and nothing for the others', async () => {
    const followed = await payments.createProduct({ price: '2.00', stock: 5 });
    const other = await payments.createProduct({ price: '2.00', stock: 5 });
    const result = await subscribeToProducts([followed.id]);
    if (!(Symbol.asyncIterator in result)) throw new Error(`not subscribed: ${JSON.stringify(result.errors)}`);
    try {
      await productsDatabase.sql`update products set stock = 1 where id = ${other.id}`;
      await productsDatabase.sql`update products set stock = 4 where id = ${followed.id}`;
      expect(await result.next()).toEqual({ value: { data: { productUpdated: { id: followed.id, stock: 4 } } }, done: false });
    } finally {
      await result.return?.();
    }
  });
});

describe('orderUpdated', () => {
  it('refuses an anonymous subscriber with UNAUTHENTICATED, and another customer or an unknown id with NOT_FOUND', async () => {
    const owner = await supergraph.registerCustomer();
    const stranger = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '4.00' });
    const order = await payments.placeOrder(owner.token, [{ productId: product.id, quantity: 1 }]);
    expect(errorCodes(await subscribeToOrder(order.id))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await subscribeToOrder(order.id, stranger.token))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await subscribeToOrder(randomUUID(), owner.token))).toEqual(['NOT_FOUND']);
  });

  it("sends the owner's order as it is after it changes", async () => {
    const owner = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '4.00' });
    const order = await payments.placeOrder(owner.token, [{ productId: product.id, quantity: 1 }]);
    const result = await subscribeToOrder(order.id, owner.token);
    if (!(Symbol.asyncIterator in result)) throw new Error(`not subscribed: ${JSON.stringify(result.errors)}`);
    try {
      expect((await payments.cancelOrder(owner.token, order.id)).userErrors).toEqual([]);
      expect(await result.next()).toEqual({ value: { data: { orderUpdated: { id: order.id, status: 'CANCELLED' } } }, done: false });
    } finally {
      await result.return?.();
    }
  });
});
