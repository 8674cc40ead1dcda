import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { createClient as createWebSocketClient } from 'graphql-ws';
import { ProductUpdatedDocument } from '@greencart/client';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres.js';
import { paymentTools, TEST_CARDS, type PaymentTools } from './support/payment-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The database failing under load: PostgreSQL stopped for 10 s while buyers place and pay orders,
// a reader browses and a subscriber follows the products. Clients
// retry as a careful client does (an order with the same idempotency key until it is
// acknowledged); afterwards every invariant of the shop must hold, and the figures are printed.

const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status total { amount } } userErrors { code } } }`;
const PAY_ORDER = `mutation($input: PayOrderInput!) { payOrder(input: $input) { order { id status } userErrors { code } } }`;
const CATALOGUE = '{ products(first: 5) { totalCount edges { node { id stock } } } }';
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { token userErrors { code } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`;
const ADD_CARD = `mutation($input: PaymentMethodInput!) { addPaymentMethod(input: $input) { paymentMethod { id } userErrors { code } } }`;
const CARD = { cardNumber: TEST_CARDS.visa, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' };
/** Once the load is told to stop, how long a buyer goes on retrying the order or payment it holds. */
const STOPPING_GRACE_MS = 10_000;
const BUYERS = 6;
const INITIAL_STOCK = 5_000;

interface LoadFigures {
  acknowledged: Map<string, { orderId: string; customerId: string; key: string }>;
  paid: Set<string>;
  errorsByCode: Map<string, number>;
  /** placeOrder's user errors, by code (an order still being placed by a cut-off attempt, say). */
  userErrors: Map<string, number>;
  uncoded: string[];
  reads: { ok: number; failed: number };
  /** When each acknowledged order was acknowledged (Date.now()). */
  acknowledgedAt: number[];
}

/**
 * Buyers and a reader, running until `stop()`; each buyer finishes the order it holds. The figures
 * fill as it runs; `done` resolves once every loop has ended.
 */
function runLoad(supergraph: TestSupergraph, tools: PaymentTools, productIds: string[]): { figures: LoadFigures; stop(): void; done: Promise<void> } {
  const figures: LoadFigures = { acknowledged: new Map(), paid: new Set(), errorsByCode: new Map(), userErrors: new Map(), uncoded: [], reads: { ok: 0, failed: 0 }, acknowledgedAt: [] };
  let stopping = false;
  const noteErrors = (errors: Array<{ message: string; extensions?: { code?: string } }> | undefined) => {
    for (const error of errors ?? []) {
      const code = error.extensions?.code;
      if (typeof code === 'string') figures.errorsByCode.set(code, (figures.errorsByCode.get(code) ?? 0) + 1);
      else figures.uncoded.push(error.message);
    }
  };
  /** One request, never thrown: a refused connection counts as an answer without data. */
  const send = async (query: string, variables: Record<string, unknown>, token?: string) => {
    try {
      const answer = await supergraph.request(query, variables, { token });
      noteErrors(answer.errors);
      return answer;
    } catch (error) {
      figures.errorsByCode.set('(no answer)', (figures.errorsByCode.get('(no answer)') ?? 0) + 1);
      return { status: 0, data: undefined, errors: [{ message: String(error) }] };
    }
  };
  const deadline = Date.now() + 120_000;

  /** Retries `attempt` until it answers, the load stops, or (stopping) a last grace passes. */
  const untilAnswered = async <T>(attempt: () => Promise<T | undefined>): Promise<T | undefined> => {
    let graceEnds: number | undefined;
    for (;;) {
      const answer = await attempt();
      if (answer !== undefined) return answer;
      if (stopping) graceEnds ??= Date.now() + STOPPING_GRACE_MS;
      if (Date.now() > deadline || (graceEnds !== undefined && Date.now() > graceEnds)) return undefined;
      await sleep(100);
    }
  };
  const buyer = async (index: number) => {
    const email = `faulty-${randomUUID()}@example.com`;
    const registered = await untilAnswered(async () => (await send(REGISTER, { input: { email, password: 'correct horse battery', name: `Faulty Buyer ${index}` } })).data?.register);
    // Registered already by an attempt whose answer was lost: sign in instead.
    const token: string | undefined =
      registered?.token ?? (await untilAnswered(async () => (await send(LOGIN, { input: { email, password: 'correct horse battery' } })).data?.login?.token ?? undefined));
    if (!token) return;
    const customerId = (await untilAnswered(async () => (await send('{ me { id } }', {}, token)).data?.me?.id as string | undefined))!;
    const card = await untilAnswered(async () => (await send(ADD_CARD, { input: CARD }, token)).data?.addPaymentMethod?.paymentMethod?.id as string | undefined);
    if (!customerId || !card) return;
    const customer = { id: customerId, token };
    while (!stopping && Date.now() < deadline) {
      const key = randomUUID();
      const items = [{ productId: productIds[index % productIds.length]!, quantity: 1 + (index % 3) }];
      // The same key until the order is acknowledged, however long the database is away.
      const orderId = await untilAnswered(async () => {
        const answer = await send(PLACE_ORDER, { input: { idempotencyKey: key, items } }, customer.token);
        for (const error of answer.data?.placeOrder?.userErrors ?? []) figures.userErrors.set(error.code, (figures.userErrors.get(error.code) ?? 0) + 1);
        return answer.data?.placeOrder?.order?.id as string | undefined;
      });
      if (!orderId) break;
      figures.acknowledged.set(`${customer.id}|${key}`, { orderId, customerId: customer.id, key });
      figures.acknowledgedAt.push(Date.now());
      const paid = await untilAnswered(async () => {
        const answer = await send(PAY_ORDER, { input: { orderId, paymentMethodId: card } }, customer.token);
        // A repeat after a payment that went through but whose answer was lost says INVALID_STATE: it is paid.
        return answer.data?.payOrder?.order?.status === 'PAID' || answer.data?.payOrder?.userErrors?.[0]?.code === 'INVALID_STATE' ? true : undefined;
      });
      if (paid) figures.paid.add(orderId);
    }
  };
  const reader = async () => {
    while (!stopping && Date.now() < deadline) {
      const answer = await send(CATALOGUE, {});
      if (answer.data?.products?.totalCount > 0 && !answer.errors) figures.reads.ok += 1;
      else figures.reads.failed += 1;
      await sleep(50);
    }
  };
  const done = Promise.all([...Array.from({ length: BUYERS }, (_, index) => buyer(index)), reader()]).then(() => undefined);
  return { figures, stop: () => (stopping = true), done };
}

/** The shop's invariants over both databases, after the load: what every fault must leave intact. */
async function checkInvariants(supergraph: TestSupergraph, figures: LoadFigures, productIds: string[]): Promise<string> {
  const orders = postgres(supergraph.databaseUrls.orders, { max: 1, onnotice: () => {} });
  const products = postgres(supergraph.databaseUrls.products, { max: 1, onnotice: () => {} });
  try {
    // Orders left half placed when a request was cut are released by the recovery sweep, as in production.
    await supergraph.sweepOrders(0);
    // Every acknowledged order exists once, under its key, with the id the client was given.
    const rows = await orders<Array<{ id: string; customer_id: string; idempotency_key: string; status: string; total_cents: string }>>`
      select id, customer_id, idempotency_key, status, total_cents from orders where customer_id in ${orders([...new Set([...figures.acknowledged.values()].map((order) => order.customerId))])}`;
    for (const acknowledged of figures.acknowledged.values()) {
      const stored = rows.filter((row) => row.customer_id === acknowledged.customerId && row.idempotency_key === acknowledged.key);
      expect(
        stored.map((row) => row.id),
        `order ${acknowledged.key}`,
      ).toEqual([acknowledged.orderId]);
    }
    expect(rows.filter((row) => row.status === 'PLACING')).toEqual([]);
    // Stock: what is gone is what live orders hold, product by product.
    for (const productId of productIds) {
      const [{ stock }] = await products<[{ stock: number }]>`select stock from products where id = ${productId}`;
      const [{ held }] = await orders<[{ held: string | null }]>`
        select sum(items.quantity) as held from order_items items join orders on orders.id = items.order_id
        where items.product_id = ${productId} and orders.status <> 'CANCELLED'`;
      expect(INITIAL_STOCK - Number(stock), `stock of ${productId}`).toBe(Number(held ?? 0));
    }
    // One successful charge of its total per paid order, none for an unpaid one.
    const charges = await orders<Array<{ order_id: string; charges: string; charged: string | null }>>`
      select order_id, count(*) as charges, sum(amount_cents) as charged from transactions
      where kind = 'CHARGE' and status = 'SUCCEEDED' group by order_id`;
    const chargeOf = new Map(charges.map((row) => [row.order_id, row]));
    for (const row of rows) {
      const charge = chargeOf.get(row.id);
      if (row.status === 'PAID') {
        expect(Number(charge?.charges), `charges of ${row.id}`).toBe(1);
        expect(Number(charge?.charged), `amount charged for ${row.id}`).toBe(Number(row.total_cents));
      } else expect(charge, `charge of unpaid ${row.id} (${row.status})`).toBeUndefined();
    }
    for (const orderId of figures.paid) expect(rows.find((row) => row.id === orderId)?.status, `paid order ${orderId}`).toBe('PAID');
    // Invoices: one per paid order, numbers unique.
    // Of this load's orders (an earlier test's may share the database); numbers unique over all of them.
    const [invoices] = await orders<[{ invoices: string; numbers: string; orders: string }]>`
      select count(*) as invoices, count(distinct number) as numbers, count(distinct order_id) as orders from invoices where order_id in ${orders(rows.map((row) => row.id))}`;
    const [{ duplicated }] = await orders<[{ duplicated: string }]>`select count(*) - count(distinct number) as duplicated from invoices`;
    expect(Number(duplicated), 'invoice numbers used twice').toBe(0);
    expect(Number(invoices.numbers)).toBe(Number(invoices.invoices));
    expect(Number(invoices.orders)).toBe(Number(invoices.invoices));
    expect(Number(invoices.invoices)).toBe(rows.filter((row) => row.status === 'PAID').length);
    return `${figures.acknowledged.size} orders acknowledged, each stored once; ${figures.paid.size} paid, one charge each; ${invoices.invoices} invoices, numbers unique; stock equal to what orders hold for ${productIds.length} products`;
  } finally {
    await Promise.all([orders.end(), products.end()]);
  }
}

/** Products to buy, with plenty of stock, and a subscriber following them. */
async function prepare(supergraph: TestSupergraph) {
  const tools = await paymentTools(supergraph);
  const productIds = await Promise.all([0, 1, 2].map(async () => (await tools.createProduct({ price: '3.25', stock: INITIAL_STOCK })).id));
  // A graphql-ws client of its own: an event that carries an error (a change read while the
  // database was away) is recorded and the subscription goes on, as a careful client's does.
  const live = createWebSocketClient({ url: supergraph.gatewayUrl.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 30 });
  const events: Array<{ id: string; stock: number; at: number }> = [];
  const failedEvents: string[] = [];
  let ended: string | undefined;
  const unsubscribe = live.subscribe<{ productUpdated: { id: string; stock: number } }>(
    { query: print(ProductUpdatedDocument), variables: { ids: productIds } },
    {
      next: (event) => {
        if (event.data?.productUpdated) events.push({ id: event.data.productUpdated.id, stock: event.data.productUpdated.stock, at: Date.now() });
        for (const error of event.errors ?? []) failedEvents.push(String(error.extensions?.code));
      },
      error: (error) => (ended = `error: ${JSON.stringify(error)}`),
      complete: () => (ended ??= 'complete'),
    },
  );
  return {
    tools,
    productIds,
    events,
    describeSubscriber: () => `${events.length} events, ${failedEvents.length} carrying an error (${[...new Set(failedEvents)].join(', ') || 'none'}), ended: ${ended ?? 'no'}`,
    close: async () => {
      unsubscribe();
      await live.dispose();
    },
  };
}

/** Whether the subscriber is still served: the ms an admin's stock change took to reach it, undefined when it did not within 15 s. */
async function subscriberStillServed(supergraph: TestSupergraph, tools: PaymentTools, productId: string, events: Array<{ id: string; stock: number; at: number }>): Promise<number | undefined> {
  const target = INITIAL_STOCK + 1_000 + Math.floor(Math.random() * 1_000);
  const changedAt = Date.now();
  const answer = await supergraph.request(
    `mutation($productId: ID!, $stock: Int!) { updateStock(productId: $productId, stock: $stock) { product { stock } userErrors { code } } }`,
    { productId, stock: target },
    { token: tools.adminToken },
  );
  expect(answer.errors).toBeUndefined();
  const deadline = Date.now() + 15_000;
  while (!events.some((event) => event.id === productId && event.stock === target) && Date.now() < deadline) await sleep(100);
  const event = events.find((candidate) => candidate.id === productId && candidate.stock === target);
  return event && event.at - changedAt;
}

const describeErrors = (figures: LoadFigures) =>
  `${[...figures.errorsByCode].map(([code, count]) => `${code} ×${count}`).join(', ') || 'none'}; placeOrder user errors: ${[...figures.userErrors].map(([code, count]) => `${code} ×${count}`).join(', ') || 'none'}`;

describe('PostgreSQL stopped for 10 s, or every connection cut, under load (an embedded server of this test)', () => {
  let database: OwnPostgres;
  let supergraph: TestSupergraph;

  beforeAll(async () => {
    database = await startOwnPostgres('db-faults');
    supergraph = await startSupergraph({ postgresServerUrl: database.url, seedCatalogue: true });
  });
  afterAll(async () => {
    await supergraph?.stop();
    await database?.remove();
  });

  it('loses and doubles nothing, answers coded errors meanwhile, takes orders again soon after, and keeps its subscriber', async () => {
    const { tools, productIds, events, describeSubscriber, close } = await prepare(supergraph);
    const load = runLoad(supergraph, tools, productIds);
    const { figures } = load;
    // Under way first: every buyer has an order acknowledged (or 20 s have passed on a slow machine).
    const loadStarted = Date.now();
    while (figures.acknowledged.size < BUYERS && Date.now() - loadStarted < 20_000) await sleep(100);
    const ordersBefore = figures.acknowledged.size;
    const stoppedAt = Date.now();
    await database.stop();
    await sleep(10_000);
    await database.start();
    const backAt = Date.now();
    // The load goes on until orders are acknowledged again (or 45 s pass), and a little longer.
    while (!figures.acknowledgedAt.some((at) => at > backAt) && Date.now() - backAt < 45_000) await sleep(100);
    const firstOrderAfter = figures.acknowledgedAt.find((at) => at > backAt);
    await sleep(5_000);
    load.stop();
    await load.done;
    const invariants = await checkInvariants(supergraph, figures, productIds);
    const delivery = await subscriberStillServed(supergraph, tools, productIds[0]!, events);
    await close();
    const ordersDuringOutage = figures.acknowledgedAt.filter((at) => at >= stoppedAt && at < backAt).length;
    console.info(
      [
        `database stopped ${((backAt - stoppedAt) / 1000).toFixed(1)} s under load of ${BUYERS} buyers, a reader and a subscriber (${ordersBefore} orders acknowledged before)`,
        `errors answered: ${describeErrors(figures)}; without a code: ${figures.uncoded.length}`,
        `reads: ${figures.reads.ok} answered, ${figures.reads.failed} failed; orders acknowledged while it was down: ${ordersDuringOutage}`,
        `first order acknowledged ${firstOrderAfter === undefined ? 'never' : `${((firstOrderAfter - backAt) / 1000).toFixed(1)} s`} after the database returned`,
        invariants,
        `a stock change after the outage reached the subscriber in ${delivery ?? 'never (15 s)'} ms; the subscriber saw ${describeSubscriber()}`,
      ].join('\n'),
    );
    expect(delivery, 'the stock change reached the subscriber').toBeDefined();
    expect(figures.uncoded).toEqual([]);
    expect(figures.errorsByCode.size, 'the outage was seen by the clients').toBeGreaterThan(0);
    expect(firstOrderAfter, 'orders were taken again after the database returned').toBeDefined();
    expect(firstOrderAfter! - backAt).toBeLessThan(30_000);
  }, 180_000);

  it("survives every connection to PostgreSQL cut three times under load, the change feeds' listeners among them, and keeps its subscriber", async () => {
    const { tools, productIds, events, describeSubscriber, close } = await prepare(supergraph);
    const load = runLoad(supergraph, tools, productIds);
    const { figures } = load;
    const loadStarted = Date.now();
    while (figures.acknowledged.size < BUYERS && Date.now() - loadStarted < 20_000) await sleep(100);
    // The server's own superuser connection cuts every other: each service's pool and its LISTEN connection.
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    const databases = Object.values(supergraph.databaseUrls).map((url) => new URL(url).pathname.slice(1));
    const cuts: Array<{ cut: number; listeners: number }> = [];
    try {
      for (let round = 0; round < 3; round++) {
        // The connections first, then the cut: in one statement the planner may call the function before the pid test.
        const victims = await admin<Array<{ pid: number; listening: boolean }>>`
          select pid, query ilike 'listen%' as listening from pg_stat_activity where pid <> pg_backend_pid() and datname in ${admin(databases)}`;
        const [{ cut }] = await admin<
          [{ cut: number }]
        >`select count(*) filter (where pg_terminate_backend(pid))::int as cut from unnest(${admin.array(victims.map((victim) => victim.pid))}::int[]) as pid`;
        cuts.push({ cut, listeners: victims.filter((victim) => victim.listening).length });
        await sleep(2_000);
      }
    } finally {
      await admin.end();
    }
    const lastCutAt = Date.now();
    while (!figures.acknowledgedAt.some((at) => at > lastCutAt) && Date.now() - lastCutAt < 30_000) await sleep(100);
    const firstOrderAfter = figures.acknowledgedAt.find((at) => at > lastCutAt);
    await sleep(2_000);
    load.stop();
    await load.done;
    const invariants = await checkInvariants(supergraph, figures, productIds);
    const delivery = await subscriberStillServed(supergraph, tools, productIds[1]!, events);
    await close();
    console.info(
      [
        `every connection cut 3 times, 2 s apart, under load of ${BUYERS} buyers, a reader and a subscriber: ${cuts.map((cut) => `${cut.cut} connections (${cut.listeners} LISTEN)`).join(', ')}`,
        `errors answered: ${describeErrors(figures)}; without a code: ${figures.uncoded.length}; reads: ${figures.reads.ok} answered, ${figures.reads.failed} failed`,
        `first order acknowledged ${firstOrderAfter === undefined ? 'never' : `${((firstOrderAfter - lastCutAt) / 1000).toFixed(1)} s`} after the last cut`,
        invariants,
        `a stock change after the cuts reached the subscriber in ${delivery ?? 'never (15 s)'} ms; the subscriber saw ${describeSubscriber()}`,
      ].join('\n'),
    );
    // The fault happened as named: live connections were cut each time, the feeds' listeners with them.
    expect(cuts.every((cut) => cut.cut > 0)).toBe(true);
    expect(
      cuts.some((cut) => cut.listeners > 0),
      "a change feed's LISTEN connection was cut",
    ).toBe(true);
    expect(delivery, "the stock change reached the subscriber after its feed's listener was cut").toBeDefined();
    expect(figures.uncoded).toEqual([]);
    expect(firstOrderAfter, 'orders were taken after the last cut').toBeDefined();
  }, 120_000);
});
