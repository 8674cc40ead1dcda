import { print, type FormattedExecutionResult } from 'graphql';
import { ApolloClient, gql as apolloGql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient as createSdkClient, createLiveClient, ProductUpdatedDocument } from '@greencart/client';
import { createClient, type Client } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { orderTools, type OrderTools } from './support/order-operations.js';
import { paymentTools, type PaymentTools } from './support/payment-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';
import { subscriptionsOpen } from './support/live-updates.js';
import { signedToken, tokenFromAnotherKey } from './support/tokens.js';

/** Subscriptions at the gateway over WebSocket (graphql-ws), fed by the subgraphs' database commits. */

const PRODUCT_UPDATED = 'subscription Watch($ids: [ID!]!) { productUpdated(ids: $ids) { id name stock price { amount } } }';
const ORDER_UPDATED = `subscription Follow($id: ID!) {
  orderUpdated(id: $id) { id status transactions { kind status } items { quantity product { id stock } } }
}`;

interface Closed {
  code: number;
  reason: string;
}

/** A graphql-ws client on the gateway, remembering how its socket closed. */
function wsClient(supergraph: TestSupergraph, token?: string): { client: Client; closed: Promise<Closed> } {
  let closed!: (event: Closed) => void;
  const closedOnce = new Promise<Closed>((resolve) => (closed = resolve));
  const client = createClient({
    url: `${supergraph.gatewayUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => closed(event as Closed) },
    // A refused connection is what some tests expect: not worth a line on stderr.
    onNonLazyError: () => {},
  });
  return { client, closed: closedOnce };
}

/** One subscription's events and its end (an error, or completion), as they arrive. */
function follow(client: Client, query: string, variables: Record<string, unknown>, extensions?: Record<string, unknown>) {
  const events: FormattedExecutionResult<Record<string, any>, unknown>[] = [];
  let error: unknown;
  let completed = false;
  const stop = client.subscribe<Record<string, any>>(
    { query, variables, extensions },
    {
      next: (event) => events.push(event),
      error: (failure) => (error = failure),
      complete: () => (completed = true),
    },
  );
  return {
    events,
    stop,
    get error() {
      return error as Array<{ message: string; extensions?: { code?: string } }> | undefined;
    },
    get ended() {
      return completed || error !== undefined;
    },
  };
}

/** Waits until the gateway has `count` subscriptions open (its metric), so a change made next is one they see. */
const subscribed = (count: number) => subscriptionsOpen(supergraph.metricsUrls.gateway, count);

let supergraph: TestSupergraph;
let orders: OrderTools;
let payments: PaymentTools;
const clients: Client[] = [];
const connect = (token?: string) => {
  const connection = wsClient(supergraph, token);
  clients.push(connection.client);
  return connection;
};

beforeAll(async () => {
  supergraph = await startSupergraph();
  orders = await orderTools(supergraph);
  payments = await paymentTools(supergraph);
});
// Each test starts with no subscription open: the previous test's connections are closed, and the gateway has let go of them.
afterEach(async () => {
  await Promise.all(clients.splice(0).map(async (client) => client.dispose()));
  await subscribed(0);
});
afterAll(async () => {
  await supergraph?.stop();
});

describe('productUpdated', () => {
  it('sends a product when its stock changes, to anyone, once', async () => {
    const product = await orders.createProduct({ stock: 10, name: 'Live oats' });
    const { client } = connect();
    const watch = follow(client, PRODUCT_UPDATED, { ids: [product.id] });
    await subscribed(1);
    await orders.setStock(product.id, 7);
    await vi.waitFor(() => expect(watch.events).toHaveLength(1), { timeout: 5_000 });
    expect(watch.events[0]).toEqual({ data: { productUpdated: { id: product.id, name: 'Live oats', stock: 7, price: { amount: expect.any(String) } } } });
    await orders.setStock(product.id, 5);
    await vi.waitFor(() => expect(watch.events.map((event) => event.data?.productUpdated.stock)).toEqual([7, 5]), { timeout: 5_000 });
    watch.stop();
  });

  it('sends the change another process committed on the database, and nothing for one rolled back', async () => {
    const product = await orders.createProduct({ stock: 10 });
    const { client } = connect();
    const watch = follow(client, PRODUCT_UPDATED, { ids: [product.id] });
    await subscribed(1);
    const sql = postgres(supergraph.databaseUrls.products, { max: 1, onnotice: () => {} });
    try {
      await sql
        .begin(async (tx) => {
          await tx`update products set stock = 1 where id = ${product.id}`;
          throw new Error('roll back');
        })
        .catch(() => undefined);
      // A second products replica on the same database is, to the feed, just another writer.
      await sql`update products set stock = 3 where id = ${product.id}`;
    } finally {
      await sql.end();
    }
    await vi.waitFor(() => expect(watch.events).toHaveLength(1), { timeout: 5_000 });
    expect(watch.events[0]?.data?.productUpdated.stock).toBe(3);
    watch.stop();
  });

  it('reads a changed product once for all subscribers with the same selection, whatever other ids each watches', async () => {
    const [hot, other, third] = await Promise.all([orders.createProduct({ stock: 10 }), orders.createProduct({ stock: 10 }), orders.createProduct({ stock: 10 })]);
    const sql = postgres(supergraph.databaseUrls.products, { max: 1, onnotice: () => {} });
    // Statements products runs for one change, as one subscriber costs it …
    const readsForOneChange = async (watchers: Array<ReturnType<typeof follow>>, stock: number) => {
      supergraph.statements.products.reset();
      await sql`update products set stock = ${stock} where id = ${hot.id}`;
      await vi.waitFor(() => expect(watchers.every((watch) => watch.events.at(-1)?.data?.productUpdated.stock === stock)).toBe(true), { timeout: 5_000 });
      return supergraph.statements.products.count;
    };
    try {
      const alone = [follow(connect().client, PRODUCT_UPDATED, { ids: [hot.id] })];
      await subscribed(1);
      const one = await readsForOneChange(alone, 9);
      expect(one).toBeGreaterThan(0);
      // … and as three do, watching different sets of products.
      const crowd = [follow(connect().client, PRODUCT_UPDATED, { ids: [hot.id, other.id] }), follow(connect().client, PRODUCT_UPDATED, { ids: [third.id, hot.id] })];
      await subscribed(3);
      expect(await readsForOneChange([...alone, ...crowd], 8)).toBe(one);
    } finally {
      await sql.end();
    }
  });

  it('refuses no ids and more than 100 with BAD_USER_INPUT', async () => {
    const { client } = connect();
    for (const ids of [[], Array.from({ length: 101 }, (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`)]) {
      const watch = follow(client, PRODUCT_UPDATED, { ids });
      await vi.waitFor(() => expect(watch.ended).toBe(true), { timeout: 5_000 });
      expect(watch.error?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(watch.events).toEqual([]);
    }
  });
});

describe('orderUpdated', () => {
  it("sends the order each time it is paid and shipped, each once, with its products' live stock", async () => {
    const customer = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '4.50', stock: 20 });
    const order = await payments.placeOrder(customer.token, [{ productId: product.id, quantity: 2 }]);
    const { client } = connect(customer.token);
    const watch = follow(client, ORDER_UPDATED, { id: order.id });
    await subscribed(1);
    const card = await payments.addCard(customer.token, '4242424242424242');
    await payments.payOrder(customer.token, order.id, card);
    await vi.waitFor(() => expect(watch.events.map((event) => event.data?.orderUpdated.status)).toContain('PAID'), { timeout: 5_000 });
    await payments.updateOrderStatus(order.id, 'SHIPPED');
    await vi.waitFor(() => expect(watch.events.map((event) => event.data?.orderUpdated.status).at(-1)).toBe('SHIPPED'), { timeout: 5_000 });
    const statuses = watch.events.map((event) => event.data?.orderUpdated.status);
    expect(statuses.filter((status) => status === 'SHIPPED')).toHaveLength(1);
    const paid = watch.events.find((event) => event.data?.orderUpdated.status === 'PAID')!;
    expect(paid.data!.orderUpdated.transactions).toEqual([{ kind: 'CHARGE', status: 'SUCCEEDED' }]);
    expect(paid.data!.orderUpdated.items).toEqual([{ quantity: 2, product: { id: product.id, stock: 18 } }]);
    expect(watch.error).toBeUndefined();
    watch.stop();
  });

  it("follows an order for a token sent in the subscription's own headers, as GraphiQL sends them, until that token expires", async () => {
    const customer = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '2.00', stock: 9 });
    const order = await payments.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    // An anonymous connection; the token travels in `extensions.headers` of each subscribe message.
    const { client } = connect();
    const watch = follow(client, ORDER_UPDATED, { id: order.id }, { headers: { Authorization: `Bearer ${customer.token}` } });
    await subscribed(1);
    await payments.cancelOrder(customer.token, order.id);
    await vi.waitFor(() => expect(watch.events.map((event) => event.data?.orderUpdated.status)).toEqual(['CANCELLED']), { timeout: 5_000 });

    const forged = follow(client, ORDER_UPDATED, { id: order.id }, { headers: { Authorization: `Bearer ${await tokenFromAnotherKey(customer.id)}` } });
    await vi.waitFor(() => expect(forged.ended).toBe(true), { timeout: 5_000 });
    expect(forged.error?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const shortLived = await signedToken(supergraph.keys.privateKeyPem, { sub: customer.id, expiresIn: '2s' });
    const expiring = follow(client, ORDER_UPDATED, { id: order.id }, { headers: { Authorization: `Bearer ${shortLived}` } });
    await vi.waitFor(() => expect(expiring.ended).toBe(true), { timeout: 6_000 });
    expect(expiring.events.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The connection and its other subscription live on.
    expect(watch.ended).toBe(false);
    watch.stop();
  });

  it('is UNAUTHENTICATED for an anonymous subscriber', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '1.00', stock: 5 });
    const order = await payments.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    const { client } = connect();
    const watch = follow(client, ORDER_UPDATED, { id: order.id });
    await vi.waitFor(() => expect(watch.ended).toBe(true), { timeout: 5_000 });
    expect(watch.error?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("is NOT_FOUND, with no event ever, for another customer's order", async () => {
    const owner = await supergraph.registerCustomer();
    const stranger = await supergraph.registerCustomer();
    const product = await payments.createProduct({ price: '1.00', stock: 5 });
    const order = await payments.placeOrder(owner.token, [{ productId: product.id, quantity: 1 }]);
    const { client } = connect(stranger.token);
    const watch = follow(client, ORDER_UPDATED, { id: order.id });
    await vi.waitFor(() => expect(watch.ended).toBe(true), { timeout: 5_000 });
    expect(watch.error?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // The owner, subscribed too, hears of the cancellation: by then the stranger would have.
    const own = follow(connect(owner.token).client, ORDER_UPDATED, { id: order.id });
    await subscribed(1);
    await payments.cancelOrder(owner.token, order.id);
    await vi.waitFor(() => expect(own.events.map((event) => event.data?.orderUpdated.status)).toEqual(['CANCELLED']), { timeout: 5_000 });
    expect(watch.events).toEqual([]);
  });
});

describe('connections', () => {
  it('closes a connection whose token is forged with 4403, before any subscription runs', async () => {
    const forged = await tokenFromAnotherKey('00000000-0000-4000-8000-000000000001');
    const { client, closed } = connect(forged);
    const watch = follow(client, PRODUCT_UPDATED, { ids: ['00000000-0000-4000-8000-000000000001'] });
    expect((await closed).code).toBe(4403);
    expect(watch.events).toEqual([]);
  });

  it('closes a connection with 4401 when its token expires', async () => {
    const customer = await supergraph.registerCustomer();
    const shortLived = await signedToken(supergraph.keys.privateKeyPem, { sub: customer.id, expiresIn: '2s' });
    const { client, closed } = connect(shortLived);
    follow(client, PRODUCT_UPDATED, { ids: ['00000000-0000-4000-8000-000000000001'] });
    expect((await closed).code).toBe(4401);
  });

  it('refuses a query or a mutation over the WebSocket, and a subscription over HTTP', async () => {
    const { client } = connect();
    const query = follow(client, '{ categories { name } }', {});
    await vi.waitFor(() => expect(query.ended).toBe(true), { timeout: 5_000 });
    expect(query.error?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    const overHttp = await supergraph.request(PRODUCT_UPDATED, { ids: ['00000000-0000-4000-8000-000000000001'] });
    expect(overHttp.status).toBe(400);
    expect(overHttp.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(overHttp.errors?.[0]?.message).toMatch(/WebSocket/);
  });

  it('keeps a subscription alive when the products subgraph restarts', async () => {
    const product = await orders.createProduct({ stock: 10 });
    const { client } = connect();
    const watch = follow(client, PRODUCT_UPDATED, { ids: [product.id] });
    await subscribed(1);
    await supergraph.restartProducts();
    await orders.setStock(product.id, 4);
    await vi.waitFor(() => expect(watch.events.map((event) => event.data?.productUpdated.stock)).toContain(4), { timeout: 10_000 });
    expect(watch.ended).toBe(false);
    watch.stop();
  });
});

describe('clients', () => {
  it('gives the typed SDK each event of a subscription document', async () => {
    const product = await orders.createProduct({ stock: 9, name: 'Typed oats' });
    const live = createLiveClient({ url: `${supergraph.gatewayUrl}/graphql`, webSocketImpl: WebSocket });
    try {
      const events = live.subscribe(ProductUpdatedDocument, { ids: [product.id] });
      const first = events.next();
      await subscribed(1);
      await orders.setStock(product.id, 0);
      const { value } = await first;
      // Typed: value.productUpdated.inStock is a boolean.
      expect(value?.productUpdated).toMatchObject({ id: product.id, name: 'Typed oats', stock: 0, inStock: false });
      await events.return(undefined);
    } finally {
      await live.dispose();
    }
  });

  it("reaches Apollo Client's GraphQLWsLink", async () => {
    const product = await orders.createProduct({ stock: 3 });
    const socket = createClient({ url: `${supergraph.gatewayUrl.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket });
    const apollo = new ApolloClient({ link: new GraphQLWsLink(socket), cache: new InMemoryCache() });
    const received: Array<{ id: string; stock: number }> = [];
    const subscription = apollo
      .subscribe<{ productUpdated: { id: string; stock: number } }>({
        query: apolloGql`subscription Apollo($ids: [ID!]!) { productUpdated(ids: $ids) { id stock } }`,
        variables: { ids: [product.id] },
      })
      .subscribe({ next: (result) => result.data && received.push(result.data.productUpdated) });
    try {
      await subscribed(1);
      await orders.setStock(product.id, 1);
      await vi.waitFor(() => expect(received).toEqual([expect.objectContaining({ id: product.id, stock: 1 })]), { timeout: 5_000 });
    } finally {
      subscription.unsubscribe();
      await socket.dispose();
    }
  });
});

describe('limits', () => {
  it('refuses a subscription past 25 on one connection with RATE_LIMITED, and keeps the others', async () => {
    const { client } = connect();
    const ids = ['00000000-0000-4000-8000-000000000001'];
    const held = Array.from({ length: 25 }, () => follow(client, PRODUCT_UPDATED, { ids }));
    await subscribed(25);
    const refused = follow(client, PRODUCT_UPDATED, { ids });
    await vi.waitFor(() => expect(refused.ended).toBe(true), { timeout: 5_000 });
    expect(refused.error?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(held.some((watch) => watch.ended)).toBe(false);
    held.forEach((watch) => watch.stop());
  });

  it('applies the request limits to subscription documents', async () => {
    const { client } = connect();
    const aliases = Array.from({ length: 16 }, (_, index) => `a${index}: id`).join(' ');
    const watch = follow(client, `subscription { productUpdated(ids: ["00000000-0000-4000-8000-000000000001"]) { ${aliases} } }`, {});
    await vi.waitFor(() => expect(watch.ended).toBe(true), { timeout: 5_000 });
    expect(watch.error?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(watch.error?.[0]?.message).toMatch(/Aliases limit/);
  });
});

describe('in production', () => {
  let production: TestSupergraph;
  beforeAll(async () => {
    production = await startSupergraph({ production: true, safelist: true });
  });
  afterAll(() => production?.stop());

  it("runs only the client's subscription documents, and closes every socket with 1001 when the gateway stops", async () => {
    const url = `${production.gatewayUrl.replace('http', 'ws')}/graphql`;
    let closed!: (event: Closed) => void;
    const closedOnce = new Promise<Closed>((resolve) => (closed = resolve));
    const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {}, on: { closed: (event) => closed(event as Closed) } });
    const { products } = await createSdkClient({ url: `${production.gatewayUrl}/graphql` }).Products({ first: 1 });
    const product = products!.edges[0]!.node.id;
    const stranger = follow(client, PRODUCT_UPDATED, { ids: [product] });
    await vi.waitFor(() => expect(stranger.ended).toBe(true), { timeout: 5_000 });
    expect(stranger.error?.[0]?.extensions?.code).toBe('OPERATION_NOT_IN_SAFELIST');
    const own = follow(client, print(ProductUpdatedDocument), { ids: [product] });
    await subscriptionsOpen(production.metricsUrls.gateway, 1);
    await production.stopService('gateway');
    expect((await closedOnce).code).toBe(1001);
    // The client's subscription ends with the close, which it can act on by reconnecting.
    expect((own.error as unknown as Closed | undefined)?.code).toBe(1001);
  });
});

describe('per customer', () => {
  let small: TestSupergraph;
  beforeAll(async () => {
    small = await startSupergraph({ seedCatalogue: false, subscriptionLimits: { perConnection: 25, perCustomer: 2 } });
  });
  afterAll(() => small?.stop());

  it("counts a customer's subscriptions over all their connections, and frees one when it ends", async () => {
    const customer = await small.registerCustomer();
    const url = `${small.gatewayUrl.replace('http', 'ws')}/graphql`;
    const open = () => createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${customer.token}` }, retryAttempts: 0 });
    const [first, second] = [open(), open()];
    try {
      const ids = ['00000000-0000-4000-8000-000000000001'];
      const held = [follow(first, PRODUCT_UPDATED, { ids }), follow(second, PRODUCT_UPDATED, { ids })];
      await subscriptionsOpen(small.metricsUrls.gateway, 2);
      const third = follow(second, PRODUCT_UPDATED, { ids });
      await vi.waitFor(() => expect(third.ended).toBe(true), { timeout: 5_000 });
      expect(third.error?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      held[0]!.stop();
      await subscriptionsOpen(small.metricsUrls.gateway, 1);
      const fourth = follow(first, PRODUCT_UPDATED, { ids });
      await subscriptionsOpen(small.metricsUrls.gateway, 2);
      expect(fourth.ended).toBe(false);
    } finally {
      await Promise.all([first.dispose(), second.dispose()]);
    }
  });
});
