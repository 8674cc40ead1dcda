import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, GreenCartRequestError, type GreenCartClient } from '@greencart/client';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/**
 * The seed's flow, as a frontend writes it with the generated SDK: register → browse → add to
 * cart → place the order → save a card → pay → read the invoice. It compiles against the
 * generated types, so a schema change that breaks a client breaks this build.
 */
let supergraph: TestSupergraph;
let anonymous: GreenCartClient;

beforeAll(async () => {
  supergraph = await startSupergraph();
  anonymous = createClient({ url: `${supergraph.gatewayUrl}/graphql` });
});
afterAll(() => supergraph?.stop());

describe('a customer shopping with the typed SDK', () => {
  it('registers, fills a cart, orders, pays, and gets an invoice', async () => {
    const { register } = await anonymous.Register({ input: { email: `sdk-${Date.now()}@example.com`, password: 'correct horse battery', name: 'Sam Shopper' } });
    expect(register?.userErrors).toEqual([]);
    const shopper = anonymous.withToken(register!.token!);

    const { products } = await shopper.Products({ first: 2, filter: { inStock: true } });
    const [first, second] = products!.edges.map((edge) => edge.node);
    await shopper.AddToCart({ input: { productId: first!.id, quantity: 2 } });
    const { addToCart } = await shopper.AddToCart({ input: { productId: second!.id, quantity: 1 } });
    expect(addToCart?.cart?.totalQuantity).toBe(3);

    const { placeOrder } = await shopper.PlaceOrder({ input: { idempotencyKey: `sdk-${Date.now()}` } });
    expect(placeOrder?.userErrors).toEqual([]);
    const order = placeOrder!.order!;
    expect(order.status).toBe('PENDING_PAYMENT');
    expect(order.total.amount).toBe(addToCart!.cart!.subtotal!.amount);
    expect((await shopper.Cart()).cart?.items).toEqual([]);

    const { addPaymentMethod } = await shopper.AddPaymentMethod({ input: { cardNumber: '4242 4242 4242 4242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' } });
    expect(addPaymentMethod?.paymentMethod).toMatchObject({ brand: 'VISA', last4: '4242', isDefault: true });

    const { payOrder } = await shopper.PayOrder({ input: { orderId: order.id, paymentMethodId: addPaymentMethod!.paymentMethod!.id } });
    expect(payOrder?.userErrors).toEqual([]);
    expect(payOrder?.order?.status).toBe('PAID');
    expect(payOrder?.transaction).toMatchObject({ kind: 'CHARGE', status: 'SUCCEEDED', amount: order.total });

    const { order: paid } = await shopper.Order({ id: order.id });
    expect(paid?.invoice?.total).toEqual(order.total);
    const { invoice } = await shopper.Invoice({ id: paid!.invoice!.id });
    expect(invoice?.billedTo.name).toBe('Sam Shopper');
    expect(invoice?.lines.map((line) => line.quantity)).toEqual(order.items.map((item) => item.quantity));
    expect((await shopper.Invoices({ first: 10 })).invoices?.totalCount).toBe(1);
    expect((await shopper.MyOrders()).me?.orders?.edges.map((edge) => edge.node.status)).toEqual(['PAID']);
  });

  it('reports top-level errors with their code', async () => {
    const error = await anonymous.Cart().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GreenCartRequestError);
    expect((error as GreenCartRequestError).code).toBe('UNAUTHENTICATED');
  });
});
