import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { repositoryRoot } from '@greencart/platform';
import { orderTools, type OrderTools } from './support/order-operations.js';
import { paymentTools, type PaymentTools } from './support/payment-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';
import { chromiumAvailable, launchChromium, localOnlyContext, serveOnAnotherOrigin } from './support/chromium.js';
import { subscriptionsOpen } from './support/live-updates.js';

/** Live updates in a real browser: a storefront page on another origin over graphql-ws, and GraphiQL at the gateway. */

/** graphql-ws's browser build (UMD, `window.graphqlWs`), the library a frontend team would use, served by the page's own server. */
const GRAPHQL_WS_BROWSER_BUILD = readFileSync(join(dirname(createRequire(import.meta.url).resolve('graphql-ws/package.json')), 'umd', 'graphql-ws.min.js'), 'utf8');

/**
 * The storefront: fetch for queries and mutations, graphql-ws over the browser's WebSocket for
 * subscriptions. What it receives is kept on `window.live` for the test to read.
 */
const STOREFRONT_PAGE = `<!doctype html><meta charset="utf-8"><title>Storefront</title><body>
<script src="/graphql-ws.js"></script>
<script>
  window.live = { orderEvents: [], productEvents: [], errors: [] };
  window.shopAndFollow = async (gateway, email, productId) => {
    const post = async (query, variables, token) => {
      const response = await fetch(gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    };
    const registered = await post('mutation($input: RegisterInput!) { register(input: $input) { token userErrors { code } } }', { input: { email, password: 'correct horse battery', name: 'Live browser' } });
    const token = registered.data.register.token;
    await post('mutation($id: ID!) { addToCart(input: { productId: $id, quantity: 2 }) { userErrors { code } } }', { id: productId }, token);
    // A query over GET, as urql sends it by default.
    const cartQuery = '{ cart { totalQuantity items { quantity product { id stock } } } }';
    const cart = await fetch(gateway + '?query=' + encodeURIComponent(cartQuery), { headers: { authorization: 'Bearer ' + token } }).then((response) => response.json());
    const placed = await post(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status } userErrors { code } } }',
      { input: { idempotencyKey: crypto.randomUUID(), items: [{ productId, quantity: 2 }] } },
      token,
    );
    const orderId = placed.data.placeOrder.order.id;

    const sockets = graphqlWs.createClient({ url: gateway.replace(/^http/, 'ws'), connectionParams: { authorization: 'Bearer ' + token } });
    const sink = (events) => ({
      next: (event) => (event.errors ? window.live.errors.push(event.errors) : events.push(event.data)),
      // GraphQL errors end a subscription as an array; a closed socket as a CloseEvent.
      error: (error) => window.live.errors.push(Array.isArray(error) ? error : { closed: error.code, reason: error.reason }),
      complete: () => {},
    });
    sockets.subscribe(
      { query: 'subscription Follow($id: ID!) { orderUpdated(id: $id) { id status items { quantity product { id stock } } } }', variables: { id: orderId } },
      sink(window.live.orderEvents),
    );
    sockets.subscribe({ query: 'subscription Watch($ids: [ID!]!) { productUpdated(ids: $ids) { id stock } }', variables: { ids: [productId] } }, sink(window.live.productEvents));
    return { token, orderId, cart: cart.data.cart };
  };
</script>`;

interface OrderEvent {
  orderUpdated: { id: string; status: string; items: Array<{ quantity: number; product: { id: string; stock: number } }> };
}
interface ProductEvent {
  productUpdated: { id: string; stock: number };
}
interface StorefrontWindow {
  live: { orderEvents: OrderEvent[]; productEvents: ProductEvent[]; errors: unknown[] };
  shopAndFollow(
    gateway: string,
    email: string,
    productId: string,
  ): Promise<{ token: string; orderId: string; cart: { totalQuantity: number; items: Array<{ quantity: number; product: { id: string; stock: number } }> } }>;
}

/** Waits until the gateway holds `count` subscriptions, so that a change made next is one they see. */
const subscribed = (metricsUrl: string, count: number) => subscriptionsOpen(metricsUrl, count, 10_000);

describe.runIf(chromiumAvailable)('live updates in Chromium', () => {
  let supergraph: TestSupergraph;
  let orders: OrderTools;
  let payments: PaymentTools;
  let browser: Browser;
  let pageServer: Awaited<ReturnType<typeof serveOnAnotherOrigin>>;
  let pageOrigin: string;
  beforeAll(async () => {
    supergraph = await startSupergraph();
    [orders, payments] = await Promise.all([orderTools(supergraph), paymentTools(supergraph)]);
    pageServer = await serveOnAnotherOrigin((request, response) => {
      if (request.url === '/graphql-ws.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(GRAPHQL_WS_BROWSER_BUILD);
      else response.writeHead(200, { 'content-type': 'text/html' }).end(STOREFRONT_PAGE);
    });
    pageOrigin = pageServer.origin;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await pageServer?.close();
    await supergraph?.stop();
  });

  it('a page on another origin registers, reads its cart, and follows its order and a product as they change', async () => {
    expect(supergraph.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:/);
    const product = await payments.createProduct({ price: '3.20', stock: 20, name: 'Live rye' });
    const { context, leaving } = await localOnlyContext(browser);
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('console', (message) => message.type() === 'error' && failures.push(message.text()));
    page.on('pageerror', (error) => failures.push(error.message));
    await page.goto(pageOrigin);

    const shopped = await page.evaluate(
      ([gateway, email, productId]) => (window as unknown as StorefrontWindow).shopAndFollow(gateway!, email!, productId!),
      [`${supergraph.gatewayUrl}/graphql`, `live-browser-${Date.now()}@example.com`, product.id],
    );
    expect(shopped.cart).toEqual({ totalQuantity: 2, items: [{ quantity: 2, product: { id: product.id, stock: 20 } }] });
    await subscribed(supergraph.metricsUrls.gateway, 2);
    const live = () => page.evaluate(() => (window as unknown as StorefrontWindow).live);
    const statuses = async () => (await live()).orderEvents.map((event) => event.orderUpdated.status);

    const card = await payments.addCard(shopped.token, '4242424242424242');
    expect((await payments.payOrder(shopped.token, shopped.orderId, card)).userErrors).toEqual([]);
    await expect.poll(statuses, { timeout: 5_000 }).toContain('PAID');

    await orders.setStock(product.id, 7);
    await expect.poll(async () => (await live()).productEvents, { timeout: 5_000 }).toEqual([{ productUpdated: { id: product.id, stock: 7 } }]);

    expect((await payments.updateOrderStatus(shopped.orderId, 'SHIPPED')).userErrors).toEqual([]);
    await expect.poll(statuses, { timeout: 5_000 }).toContain('SHIPPED');
    // Delivery is the last change: events for one order arrive in commit order, so a repeated PAID or SHIPPED would be in by now.
    expect((await payments.updateOrderStatus(shopped.orderId, 'DELIVERED')).userErrors).toEqual([]);
    await expect.poll(statuses, { timeout: 5_000 }).toContain('DELIVERED');

    const { orderEvents, productEvents, errors } = await live();
    expect(orderEvents.map((event) => event.orderUpdated.status)).toEqual(['PAID', 'SHIPPED', 'DELIVERED']);
    // The order's line reads the product's stock when each event goes out: 20 less the 2 ordered, then the admin's 7.
    expect(orderEvents.map((event) => event.orderUpdated.items)).toEqual([
      [{ quantity: 2, product: { id: product.id, stock: 18 } }],
      [{ quantity: 2, product: { id: product.id, stock: 7 } }],
      [{ quantity: 2, product: { id: product.id, stock: 7 } }],
    ]);
    expect(productEvents).toEqual([{ productUpdated: { id: product.id, stock: 7 } }]);
    expect(errors).toEqual([]);
    expect(failures).toEqual([]);
    expect(leaving).toEqual([]);
    await context.close();
    // Closing the page closes its socket, and the gateway lets go of both subscriptions.
    await subscribed(supergraph.metricsUrls.gateway, 0);
  });

  it('GraphiQL at the gateway runs a subscription and shows its events as they arrive', async () => {
    const product = await orders.createProduct({ stock: 40, name: 'GraphiQL spelt' });
    const { context, leaving } = await localOnlyContext(browser);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    await page.goto(`${supergraph.gatewayUrl}/graphql`);
    const editor = page.locator('.graphiql-query-editor').first();
    await editor.waitFor({ state: 'visible', timeout: 20_000 });
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(() => tabs.count()).toBeGreaterThan(10);
    const tabsBefore = await tabs.count();
    await page.locator('.graphiql-tab-add').click();
    await expect.poll(() => tabs.count()).toBe(tabsBefore + 1);
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(`subscription Shelf { productUpdated(ids: ["${product.id}"]) { id name stock } }`);
    await page.locator('.graphiql-execute-button').click();
    await subscribed(supergraph.metricsUrls.gateway, 1);

    await orders.setStock(product.id, 13);
    // The result pane's editor renders spaces as no-break spaces.
    const shown = async () => (await page.locator('.graphiql-response').innerText()).replace(/\s+/g, ' ');
    await expect.poll(shown, { timeout: 10_000 }).toContain('"stock": 13');
    expect(await shown()).toContain('"name": "GraphiQL spelt"');
    await orders.setStock(product.id, 12);
    await expect.poll(shown, { timeout: 10_000 }).toContain('"stock": 12');

    // Following an order needs the customer's token, given in GraphiQL's Headers as for a query.
    // (The run button stops the running subscription first.)
    await page.locator('.graphiql-execute-button').click();
    await subscribed(supergraph.metricsUrls.gateway, 0);
    const customer = await supergraph.registerCustomer();
    const order = await payments.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    await page.locator('.graphiql-tab-add').click();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(`subscription Parcel { orderUpdated(id: "${order.id}") { id status } }`);
    await page.getByRole('button', { name: 'Headers' }).click();
    const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:visible').first();
    await headersEditor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${customer.token}` }));
    await page.locator('.graphiql-execute-button').click();
    await subscribed(supergraph.metricsUrls.gateway, 1);
    expect((await payments.cancelOrder(customer.token, order.id)).userErrors).toEqual([]);
    await expect.poll(shown, { timeout: 10_000 }).toContain('"status": "CANCELLED"');

    if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: join(repositoryRoot, 'docs', 'graphiql-subscription.png') });
    expect(leaving).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
    await subscribed(supergraph.metricsUrls.gateway, 0);
  });
});
