import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger, createRemoteUserTokenVerifier, loadServiceCredentials, SERVICE_TOKEN_HEADER } from '@greencart/platform';
import { prepareProductsDatabase, startProductsService } from '@greencart/products';
import { openChangeFeed, type FeedClient, type FeedEvent } from './support/change-feed-client.js';
import { orderTools, type OrderTools } from './support/order-operations.js';
import { serviceTokenFromAnotherKey } from './support/tokens.js';
import { paymentTools, TEST_CARDS, type PaymentTools } from './support/payment-operations.js';
import { startSupergraph, TOKEN_SETTINGS, type TestSupergraph } from './support/supergraph.js';

// The subgraphs' change feeds (GET /events), end to end: real commits in PostgreSQL, told by its
// triggers over LISTEN/NOTIFY, read as Server-Sent Events over HTTP.

const PRODUCT_CHANNEL = 'greencart_product_changed';
const ORDER_CHANNEL = 'greencart_order_changed';

let supergraph: TestSupergraph;
let orders: OrderTools;
let payments: PaymentTools;
/** The gateway's tokens for each subgraph's feed. */
let serviceTokens: { products: string; orders: string };
let productsSql: postgres.Sql;
let ordersSql: postgres.Sql;
let productsFeed: FeedClient;
let ordersFeed: FeedClient;

const change = (typename: string, id: string) => (event: FeedEvent) => event.event === 'change' && event.data.typename === typename && event.data.id === id;

/**
 * Every change committed before this call has reached `feed` once it returns: a notification of
 * our own, sent after them on the same channel, has arrived, and PostgreSQL delivers in commit order.
 */
async function settle(feed: FeedClient, sql: postgres.Sql, channel: string): Promise<void> {
  const marker = randomUUID();
  await sql`select pg_notify(${channel}, ${marker})`;
  await feed.waitFor(`marker ${marker}`, (event) => event.event === 'change' && event.data.id === marker);
}
const settleProducts = () => settle(productsFeed, productsSql, PRODUCT_CHANNEL);
const settleOrders = () => settle(ordersFeed, ordersSql, ORDER_CHANNEL);

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  orders = await orderTools(supergraph);
  payments = await paymentTools(supergraph);
  serviceTokens = { products: await supergraph.serviceToken('gateway', 'products'), orders: await supergraph.serviceToken('gateway', 'orders') };
  productsSql = postgres(supergraph.databaseUrls.products, { max: 1, onnotice: () => {} });
  ordersSql = postgres(supergraph.databaseUrls.orders, { max: 1, onnotice: () => {} });
  productsFeed = await openChangeFeed(`${supergraph.subgraphUrls.products}/events`, serviceTokens.products);
  ordersFeed = await openChangeFeed(`${supergraph.subgraphUrls.orders}/events`, serviceTokens.orders);
});

afterAll(async () => {
  productsFeed?.close();
  ordersFeed?.close();
  await Promise.all([productsSql?.end({ timeout: 5 }), ordersSql?.end({ timeout: 5 })]);
  await supergraph?.stop();
});

describe('product changes', () => {
  it('are told once each for a new product, a stock change and a price change, and not for what subscribers cannot see', async () => {
    const product = await orders.createProduct({ stock: 5, price: '3.00' });
    await productsFeed.waitFor('the new product', change('Product', product.id));

    await orders.setStock(product.id, 7);
    await productsFeed.waitFor('the stock change', change('Product', product.id), 2);

    const repriced = await supergraph.data(
      `mutation($id: ID!) { updateProduct(id: $id, input: { price: "3.50" }) { product { price { amount } } userErrors { code } } }`,
      { id: product.id },
      { token: orders.adminToken },
    );
    expect(repriced.updateProduct).toEqual({ product: { price: { amount: '3.50' } }, userErrors: [] });
    await productsFeed.waitFor('the price change', change('Product', product.id), 3);

    // A description is not among what productUpdated follows, and stock set to what it is changes nothing.
    await supergraph.data(`mutation($id: ID!) { updateProduct(id: $id, input: { description: "Now in paper" }) { userErrors { code } } }`, { id: product.id }, { token: orders.adminToken });
    await orders.setStock(product.id, 7);
    await settleProducts();
    expect(productsFeed.changesOf(product.id)).toBe(3);
  });

  it('tell when a product is archived', async () => {
    const product = await orders.createProduct({ stock: 1 });
    await orders.archiveProduct(product.id);
    await settleProducts();
    expect(productsFeed.changesOf(product.id)).toBe(2);
  });

  it('tell a change committed in SQL, as another replica would make it, and nothing for one rolled back', async () => {
    const product = await orders.createProduct({ stock: 4 });
    await productsFeed.waitFor('the new product', change('Product', product.id));

    await productsSql
      .begin(async (tx) => {
        await tx`update products set stock = stock + 1 where id = ${product.id}`;
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    await settleProducts();
    expect(productsFeed.changesOf(product.id)).toBe(1);

    await productsSql`update products set stock = stock + 1 where id = ${product.id}`;
    await productsFeed.waitFor('the committed change', change('Product', product.id), 2);
  });
});

describe('order changes', () => {
  it('tell a placed order and each product whose stock it took; a placement refused for stock tells nothing', async () => {
    const customer = await supergraph.registerCustomer();
    const first = await orders.createProduct({ stock: 5 });
    const second = await orders.createProduct({ stock: 5 });
    await settleProducts();

    const order = await orders.placed(customer.token, [
      { productId: first.id, quantity: 2 },
      { productId: second.id, quantity: 1 },
    ]);
    await ordersFeed.waitFor('the placed order', change('Order', order.id));
    await productsFeed.waitFor('stock taken from the first product', change('Product', first.id), 2);
    await productsFeed.waitFor('stock taken from the second product', change('Product', second.id), 2);

    const ordersChanges = () => ordersFeed.events.filter((event) => event.event === 'change');
    const ordersBefore = ordersChanges().length;
    const refused = await orders.placeOrder(customer.token, { idempotencyKey: randomUUID(), items: [{ productId: first.id, quantity: 100 }] });
    expect(refused.userErrors.map((error) => error.code)).toEqual(['OUT_OF_STOCK']);
    await settleProducts();
    await settleOrders();
    expect(productsFeed.changesOf(first.id)).toBe(2);
    // Only the marker arrived: the claim the refused placement wrote and deleted told nothing.
    expect(
      ordersChanges()
        .slice(ordersBefore)
        .map((event) => event.data.id),
    ).toHaveLength(1);
    expect(ordersFeed.changesOf(order.id)).toBe(1);
  });

  it('tell an order paid and then cancelled, once each, and the stock its cancellation gave back', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '12.00', stock: 3 });
    const order = await payments.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    await ordersFeed.waitFor('the placed order', change('Order', order.id));

    const card = await payments.addCard(customer.token, TEST_CARDS.visa);
    const paid = await payments.payOrder(customer.token, order.id, card);
    expect(paid.userErrors).toEqual([]);
    await ordersFeed.waitFor('the payment', change('Order', order.id), 2);

    const cancelled = await payments.cancelOrder(customer.token, order.id);
    expect(cancelled.userErrors).toEqual([]);
    await ordersFeed.waitFor('the cancellation', change('Order', order.id), 3);
    // Created, taken from, given back to.
    await productsFeed.waitFor('the stock given back', change('Product', product.id), 3);

    await settleOrders();
    await settleProducts();
    expect(ordersFeed.changesOf(order.id)).toBe(3);
    expect(productsFeed.changesOf(product.id)).toBe(3);
  });

  it('tell a declined payment, which records a transaction on the order', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '5.00' });
    const order = await payments.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    const card = await payments.addCard(customer.token, TEST_CARDS.declined);
    const declined = await payments.payOrder(customer.token, order.id, card);
    expect(declined.userErrors.map((error) => error.code)).toEqual(['PAYMENT_DECLINED']);
    await ordersFeed.waitFor('the declined payment', change('Order', order.id), 2);
  });
});

describe('replicas', () => {
  it("a change made through a second products process reaches the first's feed clients, and stopping it ends its streams cleanly", async () => {
    const product = await orders.createProduct({ stock: 2 });
    await productsFeed.waitFor('the new product', change('Product', product.id));

    // A second replica: its own connections to the same database, its own LISTEN.
    const name = new URL(supergraph.databaseUrls.products).pathname.slice(1);
    const database = await prepareProductsDatabase({ serverUrl: inject('postgresServerUrl'), name });
    const replica = await startProductsService(
      {
        production: false,
        database,
        verifier: createRemoteUserTokenVerifier({ ...TOKEN_SETTINGS, jwksUrl: supergraph.jwksUrl, cacheSeconds: 300, refetchCooldownSeconds: 30 }),
        credentials: (await loadServiceCredentials({ service: 'products', callerPublicKeys: {}, dataDir: supergraph.serviceKeysDir })).credentials,
        logger: createLogger('products-replica', 'silent'),
      },
      { port: 0, host: '127.0.0.1' },
    );
    let replicaFeed: FeedClient | undefined;
    try {
      replicaFeed = await openChangeFeed(`${replica.url}/events`, serviceTokens.products);
      const response = await fetch(`${replica.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: serviceTokens.products, authorization: `Bearer ${orders.adminToken}` },
        body: JSON.stringify({ query: `mutation($id: ID!) { updateStock(productId: $id, stock: 9) { product { stock } } }`, variables: { id: product.id } }),
      });
      expect(await response.json()).toEqual({ data: { updateStock: { product: { stock: 9 } } } });

      await productsFeed.waitFor("the replica's change at the first process", change('Product', product.id), 2);
      await replicaFeed.waitFor("the replica's change at the replica", change('Product', product.id));
    } finally {
      await replica.stop();
      await database.close();
    }
    expect(await replicaFeed!.ended).toEqual({ clean: true });
  });
});

describe('GET /events', () => {
  const refusal = { errors: [{ message: 'This feed answers only other GreenCart services.', extensions: { code: 'UNAUTHENTICATED' } }] };

  it.each(['products', 'orders'] as const)('%s refuses a caller without service credentials, streaming nothing', async (subgraph) => {
    const url = `${supergraph.subgraphUrls[subgraph]}/events`;
    const forged = await serviceTokenFromAnotherKey('gateway', subgraph);
    const attempts: Array<Record<string, string>> = [{}, { [SERVICE_TOKEN_HEADER]: forged }, { [SERVICE_TOKEN_HEADER]: 'not a token' }];
    for (const headers of attempts) {
      const response = await fetch(url, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual(refusal);
    }
  });

  it('answers a service with an event stream', async () => {
    const response = await fetch(`${supergraph.subgraphUrls.products}/events`, { headers: { [SERVICE_TOKEN_HEADER]: serviceTokens.products } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toMatch(/no-cache/);
    await response.body?.cancel();
  });

  it('tells its clients to resync when the LISTEN connection was lost, and keeps delivering after it', async () => {
    const terminated = await productsSql`
      select pg_terminate_backend(pid) as terminated from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`;
    expect(terminated.length).toBeGreaterThanOrEqual(1);
    expect(terminated.every((row) => row.terminated === true)).toBe(true);

    await productsFeed.waitFor('a resync', (event) => event.event === 'resync' && event.data.typename === 'Product');
    const product = await orders.createProduct({ stock: 1 });
    await productsFeed.waitFor('a change after listening again', change('Product', product.id));
  });
});
