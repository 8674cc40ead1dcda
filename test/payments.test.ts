import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAY_ORDER, TEST_CARDS, paymentTools, usd, type Customer, type PaymentTools } from './support/payment-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// Paying, refunding and fulfilling orders as the contract's "Orders" section promises, through the
// gateway. The last test checks the money invariant over every order this file made:
// Σ succeeded charges − Σ succeeded refunds = Σ totals of orders that are paid, shipped or delivered.

let supergraph: TestSupergraph;
let tools: PaymentTools;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  tools = await paymentTools(supergraph);
});
afterAll(() => supergraph?.stop());

/** A new customer with a PENDING_PAYMENT order of `quantity` × a new product at `price`. */
async function customerWithOrder(price = '6.99', quantity = 2) {
  const customer = await supergraph.registerCustomer();
  const product = await tools.createProduct({ price, stock: 20 });
  const order = await tools.placeOrder(customer.token, [{ productId: product.id, quantity }]);
  return { customer, product, order };
}

async function invoiceCount(customer: Customer): Promise<number> {
  return (await supergraph.data(`{ invoices(first: 0) { totalCount } }`, {}, { token: customer.token })).invoices.totalCount;
}

describe('paying with the test cards', () => {
  it('charges 4242 4242 4242 4242: the order is PAID, its charge SUCCEEDED for the total, and its invoice is issued', async () => {
    const { customer, order } = await customerWithOrder('6.99', 2);
    expect(order.total).toEqual(usd('13.98'));
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);

    const paid = await tools.payOrder(customer.token, order.id, card);

    expect(paid).toEqual({
      order: { id: order.id, status: 'PAID' },
      transaction: { id: expect.any(String), kind: 'CHARGE', status: 'SUCCEEDED', amount: usd('13.98'), failureReason: null },
      userErrors: [],
    });
    const after = await tools.order(customer.token, order.id);
    expect(after?.status).toBe('PAID');
    expect(after?.transactions).toEqual([
      {
        id: paid.transaction!.id,
        kind: 'CHARGE',
        status: 'SUCCEEDED',
        amount: usd('13.98'),
        failureReason: null,
        createdAt: expect.any(String),
        paymentMethod: { id: card, brand: 'VISA', last4: '4242' },
      },
    ]);
    expect(after?.invoice).toEqual({ id: expect.any(String), number: expect.stringMatching(/^INV-\d{6}$/), issuedAt: expect.any(String), total: usd('13.98') });
    expect(await invoiceCount(customer)).toBe(1);
  });

  it.each([
    ['4000 0000 0000 0002', TEST_CARDS.declined, 'card_declined'],
    ['4000 0000 0000 9995', TEST_CARDS.insufficientFunds, 'insufficient_funds'],
  ])('declines %s (%s) with PAYMENT_DECLINED and a FAILED charge (%s); no invoice; a good card then pays', async (_, number, reason) => {
    const { customer, order } = await customerWithOrder('12.50', 1);
    const badCard = await tools.addCard(customer.token, number);

    const declined = await tools.payOrder(customer.token, order.id, badCard);

    expect(declined.userErrors).toEqual([{ code: 'PAYMENT_DECLINED', field: 'paymentMethodId', message: expect.any(String) }]);
    expect(declined.order).toEqual({ id: order.id, status: 'PENDING_PAYMENT' });
    expect(declined.transaction).toEqual({ id: expect.any(String), kind: 'CHARGE', status: 'FAILED', amount: usd('12.50'), failureReason: reason });
    const afterDecline = await tools.order(customer.token, order.id);
    expect(afterDecline?.status).toBe('PENDING_PAYMENT');
    expect(afterDecline?.invoice).toBeNull();
    expect(afterDecline?.transactions.map(({ id, kind, status, failureReason, paymentMethod }) => ({ id, kind, status, failureReason, paymentMethod }))).toEqual([
      { id: declined.transaction!.id, kind: 'CHARGE', status: 'FAILED', failureReason: reason, paymentMethod: { id: badCard, brand: 'VISA', last4: number.slice(-4) } },
    ]);
    expect(await invoiceCount(customer)).toBe(0);

    const goodCard = await tools.addCard(customer.token, TEST_CARDS.visa);
    const paid = await tools.payOrder(customer.token, order.id, goodCard);

    expect(paid.userErrors).toEqual([]);
    expect(paid.order?.status).toBe('PAID');
    expect(paid.transaction).toMatchObject({ kind: 'CHARGE', status: 'SUCCEEDED', amount: usd('12.50'), failureReason: null });
    const afterPayment = await tools.order(customer.token, order.id);
    expect(afterPayment?.transactions.map(({ kind, status, failureReason }) => ({ kind, status, failureReason }))).toEqual([
      { kind: 'CHARGE', status: 'FAILED', failureReason: reason },
      { kind: 'CHARGE', status: 'SUCCEEDED', failureReason: null },
    ]);
    expect(afterPayment?.invoice?.total).toEqual(usd('12.50'));
    expect(await invoiceCount(customer)).toBe(1);
  });

  it('charges any other valid card, such as Mastercard 5555 5555 5555 4444', async () => {
    const { customer, order } = await customerWithOrder('3.10', 3);
    const card = await tools.addCard(customer.token, TEST_CARDS.mastercard);

    const paid = await tools.payOrder(customer.token, order.id, card);

    expect(paid.userErrors).toEqual([]);
    expect(paid.order?.status).toBe('PAID');
    expect(paid.transaction).toMatchObject({ kind: 'CHARGE', status: 'SUCCEEDED', amount: usd('9.30') });
    const after = await tools.order(customer.token, order.id);
    expect(after?.transactions.map((transaction) => transaction.paymentMethod)).toEqual([{ id: card, brand: 'MASTERCARD', last4: '4444' }]);
    expect(after?.invoice).not.toBeNull();
  });
});

describe('charging once', () => {
  it('refuses a second payOrder on a PAID order with INVALID_STATE and charges nothing more', async () => {
    const { customer, order } = await customerWithOrder('5.00', 1);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);
    const before = await tools.order(customer.token, order.id);

    const again = await tools.payOrder(customer.token, order.id, card);

    expect(again).toEqual({ order: null, transaction: null, userErrors: [{ code: 'INVALID_STATE', field: 'orderId', message: expect.any(String) }] });
    expect(await tools.order(customer.token, order.id)).toEqual(before);
    expect(before?.transactions).toHaveLength(1);
  });

  it('charges once when 10 payOrders race on one order: one succeeds, the others get INVALID_STATE', async () => {
    const { customer, order } = await customerWithOrder('7.77', 1);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);

    const answers = await Promise.all(Array.from({ length: 10 }, () => tools.payOrder(customer.token, order.id, card)));

    const succeeded = answers.filter((answer) => answer.userErrors.length === 0);
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]).toMatchObject({ order: { id: order.id, status: 'PAID' }, transaction: { kind: 'CHARGE', status: 'SUCCEEDED', amount: usd('7.77') } });
    expect(answers.filter((answer) => answer.userErrors.length > 0).map((answer) => answer.userErrors.map((error) => error.code))).toEqual(Array.from({ length: 9 }, () => ['INVALID_STATE']));
    const after = await tools.order(customer.token, order.id);
    expect(after?.status).toBe('PAID');
    expect(after?.transactions.map(({ id, kind, status }) => ({ id, kind, status }))).toEqual([{ id: succeeded[0]!.transaction!.id, kind: 'CHARGE', status: 'SUCCEEDED' }]);
    expect(await invoiceCount(customer)).toBe(1);
  });
});

describe('what may be paid, and with what', () => {
  /** The order as its owner sees it: still waiting, with no attempt recorded. */
  async function expectUntouched(customer: Customer, orderId: string) {
    const order = await tools.order(customer.token, orderId);
    expect(order?.status).toBe('PENDING_PAYMENT');
    expect(order?.transactions).toEqual([]);
    expect(order?.invoice).toBeNull();
  }
  const notFound = (field: string) => ({ order: null, transaction: null, userErrors: [{ code: 'NOT_FOUND', field, message: expect.any(String) }] });

  it("refuses another customer's card with NOT_FOUND (paymentMethodId) and charges nothing", async () => {
    const { customer, order } = await customerWithOrder();
    const stranger = await supergraph.registerCustomer();
    const strangersCard = await tools.addCard(stranger.token, TEST_CARDS.visa);

    expect(await tools.payOrder(customer.token, order.id, strangersCard)).toEqual(notFound('paymentMethodId'));
    await expectUntouched(customer, order.id);
  });

  it('refuses a removed card with NOT_FOUND', async () => {
    const { customer, order } = await customerWithOrder();
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    await tools.removeCard(customer.token, card);

    expect(await tools.payOrder(customer.token, order.id, card)).toEqual(notFound('paymentMethodId'));
    await expectUntouched(customer, order.id);
  });

  it.each([
    ['an unknown card id', randomUUID()],
    ['a card id that is not a UUID', 'not-a-card'],
  ])('refuses %s with NOT_FOUND', async (_, paymentMethodId) => {
    const { customer, order } = await customerWithOrder();

    expect(await tools.payOrder(customer.token, order.id, paymentMethodId)).toEqual(notFound('paymentMethodId'));
    await expectUntouched(customer, order.id);
  });

  it("refuses another customer's order with NOT_FOUND (orderId) and changes nothing", async () => {
    const { customer: owner, order } = await customerWithOrder();
    const ownersCard = await tools.addCard(owner.token, TEST_CARDS.visa);
    const stranger = await supergraph.registerCustomer();
    const strangersCard = await tools.addCard(stranger.token, TEST_CARDS.visa);

    expect(await tools.payOrder(stranger.token, order.id, strangersCard)).toEqual(notFound('orderId'));
    expect(await tools.payOrder(stranger.token, order.id, ownersCard)).toEqual(notFound('orderId'));
    await expectUntouched(owner, order.id);
  });

  it.each([
    ['an unknown order id', randomUUID()],
    ['an order id that is not a UUID', 'not-an-order'],
  ])('refuses %s with NOT_FOUND (orderId)', async (_, orderId) => {
    const customer = await supergraph.registerCustomer();
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);

    expect(await tools.payOrder(customer.token, orderId, card)).toEqual(notFound('orderId'));
  });

  it('refuses a CANCELLED order with INVALID_STATE', async () => {
    const { customer, order } = await customerWithOrder();
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.cancelOrder(customer.token, order.id)).userErrors).toEqual([]);

    expect(await tools.payOrder(customer.token, order.id, card)).toEqual({
      order: null,
      transaction: null,
      userErrors: [{ code: 'INVALID_STATE', field: 'orderId', message: expect.any(String) }],
    });
    const after = await tools.order(customer.token, order.id);
    expect(after?.status).toBe('CANCELLED');
    expect(after?.transactions).toEqual([]);
    expect(after?.invoice).toBeNull();
  });

  it('refuses an anonymous payOrder with UNAUTHENTICATED', async () => {
    const { customer, order } = await customerWithOrder();
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);

    const response = await supergraph.request(PAY_ORDER, { input: { orderId: order.id, paymentMethodId: card } });

    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(response.data?.payOrder ?? null).toBeNull();
    await expectUntouched(customer, order.id);
  });
});

describe('Transaction.paymentMethod', () => {
  it('resolves the card (id, brand, last4) for the owner and for admins, also after the card is removed', async () => {
    const { customer, order } = await customerWithOrder('4.00', 1);
    const card = await tools.addCard(customer.token, TEST_CARDS.mastercard);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);
    const expected = [{ id: card, brand: 'MASTERCARD', last4: '4444' }];
    const methods = async (token: string) => (await tools.order(token, order.id))?.transactions.map((transaction) => transaction.paymentMethod);
    expect(await methods(customer.token)).toEqual(expected);

    await tools.removeCard(customer.token, card);
    const wallet = await supergraph.data(`{ me { paymentMethods { id } } }`, {}, { token: customer.token });
    expect(wallet.me.paymentMethods).toEqual([]);

    expect(await methods(customer.token)).toEqual(expected);
    expect(await methods(tools.adminToken)).toEqual(expected);
  });
});

describe('cancelling a paid order', () => {
  it('refunds the total with a REFUND transaction, cancels the order and gives the stock back', async () => {
    const customer = await supergraph.registerCustomer();
    const product = await tools.createProduct({ price: '8.25', stock: 10 });
    const order = await tools.placeOrder(customer.token, [{ productId: product.id, quantity: 3 }]);
    expect(await tools.stockOf(product.id)).toBe(7);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);

    const cancelled = await tools.cancelOrder(customer.token, order.id);

    expect(cancelled).toEqual({ order: { id: order.id, status: 'CANCELLED' }, userErrors: [] });
    const after = await tools.order(customer.token, order.id);
    expect(after?.status).toBe('CANCELLED');
    expect(after?.transactions.map(({ kind, status, amount, failureReason, paymentMethod }) => ({ kind, status, amount, failureReason, paymentMethod }))).toEqual([
      { kind: 'CHARGE', status: 'SUCCEEDED', amount: usd('24.75'), failureReason: null, paymentMethod: { id: card, brand: 'VISA', last4: '4242' } },
      { kind: 'REFUND', status: 'SUCCEEDED', amount: usd('24.75'), failureReason: null, paymentMethod: { id: card, brand: 'VISA', last4: '4242' } },
    ]);
    expect(await tools.stockOf(product.id)).toBe(10);

    // Cancelling again refunds nothing more.
    expect((await tools.cancelOrder(customer.token, order.id)).userErrors.map((error) => error.code)).toEqual(['INVALID_STATE']);
    expect((await tools.order(customer.token, order.id))?.transactions).toHaveLength(2);
    expect(await tools.stockOf(product.id)).toBe(10);
  });

  it("refunds when an admin cancels a customer's paid order", async () => {
    const { customer, order } = await customerWithOrder('2.22', 2);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);

    expect(await tools.cancelOrder(tools.adminToken, order.id)).toEqual({ order: { id: order.id, status: 'CANCELLED' }, userErrors: [] });

    const after = await tools.order(customer.token, order.id);
    expect(after?.transactions.map(({ kind, status, amount }) => ({ kind, status, amount }))).toEqual([
      { kind: 'CHARGE', status: 'SUCCEEDED', amount: usd('4.44') },
      { kind: 'REFUND', status: 'SUCCEEDED', amount: usd('4.44') },
    ]);
  });

  it('records no refund when a PENDING_PAYMENT order is cancelled, even after a declined attempt', async () => {
    const { customer, product, order } = await customerWithOrder('9.99', 4);
    const card = await tools.addCard(customer.token, TEST_CARDS.declined);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors.map((error) => error.code)).toEqual(['PAYMENT_DECLINED']);

    expect((await tools.cancelOrder(customer.token, order.id)).userErrors).toEqual([]);

    const after = await tools.order(customer.token, order.id);
    expect(after?.status).toBe('CANCELLED');
    expect(after?.transactions.map(({ kind, status }) => ({ kind, status }))).toEqual([{ kind: 'CHARGE', status: 'FAILED' }]);
    expect(await tools.stockOf(product.id)).toBe(20);
  });

  it('refuses to cancel a SHIPPED order with INVALID_STATE, and refunds nothing', async () => {
    const { customer, order } = await customerWithOrder('11.00', 1);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);
    expect((await tools.updateOrderStatus(order.id, 'SHIPPED')).userErrors).toEqual([]);

    for (const token of [customer.token, tools.adminToken]) {
      expect(await tools.cancelOrder(token, order.id)).toEqual({ order: null, userErrors: [{ code: 'INVALID_STATE', field: 'id', message: expect.any(String) }] });
    }
    const after = await tools.order(customer.token, order.id);
    expect(after?.status).toBe('SHIPPED');
    expect(after?.transactions.map(({ kind }) => kind)).toEqual(['CHARGE']);
  });
});

describe('fulfilment', () => {
  const invalidState = { order: null, userErrors: [{ code: 'INVALID_STATE', field: 'status', message: expect.any(String) }] };

  it('moves a paid order PAID → SHIPPED → DELIVERED, and a DELIVERED order nowhere', async () => {
    const { customer, order } = await customerWithOrder('15.00', 1);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    // Not before it is paid.
    expect(await tools.updateOrderStatus(order.id, 'SHIPPED')).toEqual(invalidState);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);
    // Not skipping a step.
    expect(await tools.updateOrderStatus(order.id, 'DELIVERED')).toEqual(invalidState);

    expect(await tools.updateOrderStatus(order.id, 'SHIPPED')).toEqual({ order: { id: order.id, status: 'SHIPPED' }, userErrors: [] });
    expect(await tools.updateOrderStatus(order.id, 'DELIVERED')).toEqual({ order: { id: order.id, status: 'DELIVERED' }, userErrors: [] });

    for (const status of ['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']) {
      expect(await tools.updateOrderStatus(order.id, status), `DELIVERED → ${status}`).toEqual(invalidState);
    }
    expect((await tools.order(customer.token, order.id))?.status).toBe('DELIVERED');
  });

  it('is for admins only: a customer gets FORBIDDEN', async () => {
    const { customer, order } = await customerWithOrder('15.00', 1);
    const card = await tools.addCard(customer.token, TEST_CARDS.visa);
    expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);

    const response = await supergraph.request(
      `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { order { id status } userErrors { code } } }`,
      { id: order.id, status: 'SHIPPED' },
      { token: customer.token },
    );

    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect((await tools.order(customer.token, order.id))?.status).toBe('PAID');
  });
});

describe('the money invariant', () => {
  it('holds over every order this file made: Σ succeeded charges − Σ succeeded refunds = Σ totals of paid, shipped and delivered orders', async () => {
    await tools.expectMoneyInvariant();
  });
});
