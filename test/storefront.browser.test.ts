import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createClient } from '@greencart/client';
import { chromiumAvailable } from './support/chromium.js';
import { accessibilityViolations, NO_TROUBLE, shopperPage, startStorefrontStack, type StorefrontStack } from './support/storefront.js';
import { ADMIN, type TestSupergraph } from './support/supergraph.js';

/**
 * The storefront (storefront/, served by Vite's dev server as `npm start` serves it) in Chromium,
 * against the real supergraph: what a shopper does, found by the accessible names the contract
 * gives, and what they would notice.
 */

/** The gateway as the seeded administrator uses it: signed in through the gateway like anyone else. */
async function adminApi(gatewayUrl: string) {
  const api = createClient({ url: `${gatewayUrl}/graphql` });
  const { login } = await api.Login({ input: { email: ADMIN.email, password: ADMIN.password } });
  expect(login?.userErrors).toEqual([]);
  const admin = api.withToken(login!.token!);
  const { createCategory } = await admin.CreateCategory({ input: { name: `Storefront ${randomUUID().slice(0, 8)}` } });
  const categoryId = createCategory!.category!.id;
  return {
    ...admin,
    /** A product of its own for one test, named so that a search finds it alone. */
    async newProduct(name: string, fields: { price: string; stock: number }) {
      const { createProduct } = await admin.CreateProduct({ input: { sku: `SF-${randomUUID().slice(0, 8)}`, name, description: `${name}, for the storefront's tests.`, categoryId, ...fields } });
      expect(createProduct?.userErrors).toEqual([]);
      return createProduct!.product!;
    },
  };
}

/**
 * Waits for what a shopper would see, for up to 10 s: a page waits on the gateway, sometimes twice
 * (a persisted query's first use), on a machine shared with other tests. No claim about speed.
 */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

/** How many links in the page are named exactly `name` (the header's cart link: "Cart, 2 items"). */
const cartLink = (page: Page, name: string) => page.getByRole('link', { name, exact: true }).count();

/** Subscriptions of one field open at the gateway (its greencart_subscriptions_active metric). */
async function openSubscriptions(metricsUrl: string, field: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const match = new RegExp(`^greencart_subscriptions_active\\{[^}]*field="${field}"[^}]*\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

// A journey drives a dozen pages, each waiting on the gateway: more than the default 30 s on a busy machine.
describe.runIf(chromiumAvailable)('the storefront in Chromium', { timeout: 60_000 }, () => {
  let supergraph: TestSupergraph;
  let storefront: StorefrontStack['storefront'];
  let storefrontUrl: string;
  let browser: Browser;
  let stack: StorefrontStack | undefined;
  let admin: Awaited<ReturnType<typeof adminApi>>;

  beforeAll(async () => {
    stack = await startStorefrontStack();
    ({ supergraph, storefront, browser } = stack);
    storefrontUrl = storefront.url;
    admin = await adminApi(supergraph.gatewayUrl);
  }, 120_000);

  afterAll(() => stack?.stop());

  it('finds a product by search, shows it with its stock, and keeps the search in the address', async () => {
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(storefrontUrl);

    await page.getByRole('searchbox', { name: 'Search products' }).fill('sourdough');
    await page.getByRole('searchbox', { name: 'Search products' }).press('Enter');
    await eventually(() => new URL(page.url()).searchParams.get('q')).toBe('sourdough');
    await page.getByRole('link', { name: 'Sourdough Loaf' }).click();

    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sourdough Loaf');
    await eventually(() => page.getByText(/^\d+ in stock$/).textContent()).toBe('40 in stock');
    // The deferred parts arrive: a new shop has no reviews and no orders yet.
    await eventually(() => page.getByRole('region', { name: 'Reviews' }).textContent()).toContain('No reviews yet.');
    await eventually(() => page.getByRole('region', { name: 'Bought together' }).textContent()).toContain('Nobody has bought this with anything else yet.');
    expect(await page.getByRole('button', { name: 'Add to cart' }).isEnabled()).toBe(true);

    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });

  it('takes a shopper from search to a paid order, a declined card first, and shows the order shipped when the admin ships it, without a reload', async () => {
    const suffix = randomUUID().slice(0, 6);
    const product = await admin.newProduct(`Journey Rye ${suffix}`, { price: '4.50', stock: 12 });
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    const inaccessible: string[] = [];
    await page.goto(storefrontUrl);
    await eventually(() => page.getByRole('list', { name: 'Products' }).count()).toBe(1);
    inaccessible.push(...(await accessibilityViolations(page, 'catalogue')));

    // Find it, open it.
    await page.getByRole('searchbox', { name: 'Search products' }).fill(`Journey Rye ${suffix}`);
    await page.getByRole('searchbox', { name: 'Search products' }).press('Enter');
    await page.getByRole('link', { name: product.name }).click();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(product.name);
    await eventually(() => page.getByText(/in stock$/).textContent()).toBe('12 in stock');
    await eventually(() => cartLink(page, 'Cart, 0 items')).toBe(1);
    await eventually(() => page.getByRole('region', { name: 'Reviews' }).textContent()).toContain('No reviews yet.');
    inaccessible.push(...(await accessibilityViolations(page, 'product')));

    // Add two to the cart: a visitor is asked to sign in or register first, and the choice is kept.
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('link', { name: 'Create an account' }).click();
    inaccessible.push(...(await accessibilityViolations(page, 'register')));
    await page.getByLabel('Name').fill('Ann Lee');
    await page.getByLabel('Email').fill(`ann-${suffix}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await eventually(() => new URL(page.url()).pathname).toBe('/cart');
    await eventually(() => cartLink(page, 'Cart, 2 items')).toBe(1);
    await eventually(() => page.getByRole('list', { name: 'Items in your cart' }).textContent()).toContain(product.name);
    // Totals are the API's: 2 × $4.50.
    await eventually(() => page.getByRole('complementary', { name: 'Order summary' }).textContent()).toContain('$9.00');
    expect(await page.evaluate(() => localStorage.getItem('greencart.token'))).toMatch(/^ey/);
    inaccessible.push(...(await accessibilityViolations(page, 'cart')));

    // Check out with a card that is declined: the order is kept, to pay again.
    await page.getByRole('link', { name: 'Check out' }).click();
    await page.getByLabel('Address', { exact: true }).fill('1 Market Street');
    await page.getByLabel('City').fill('Springfield');
    await page.getByLabel('Postal code').fill('12345');
    const expiry = `12/${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
    await page.getByLabel('Card number').fill('4000 0000 0000 0002');
    await page.getByLabel('Expiry (MM/YY)').fill(expiry);
    await page.getByLabel('CVC').fill('123');
    await page.getByRole('button', { name: 'Place order' }).click();
    await eventually(() => page.getByRole('alert').first().textContent()).toContain('Your card was declined');
    expect(new URL(page.url()).pathname).toBe('/checkout');
    inaccessible.push(...(await accessibilityViolations(page, 'checkout')));

    // Another card: the same order is paid, and its page opens.
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Place order' }).click();
    await eventually(() => new URL(page.url()).pathname).toMatch(/^\/orders\/[0-9a-f-]+$/);
    const orderId = new URL(page.url()).pathname.split('/').pop()!;
    const customer = createClient({ url: `${supergraph.gatewayUrl}/graphql`, token: (await page.evaluate(() => localStorage.getItem('greencart.token')))! });
    const { orders } = await customer.Orders({ first: 10 });
    expect(orders?.totalCount, 'a declined card and a retry still make one order').toBe(1);
    const number = orders!.edges[0]!.node.number;
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(number);
    await eventually(() => page.getByRole('status', { name: 'Order status' }).textContent()).toBe('Paid');
    await eventually(() => cartLink(page, 'Cart, 0 items')).toBe(1);
    inaccessible.push(...(await accessibilityViolations(page, 'order')));

    // The admin ships it; the open page follows, without a reload.
    await vi.waitFor(async () => expect(await openSubscriptions(supergraph.metricsUrls.gateway, 'orderUpdated')).toBe(1), { timeout: 10_000 });
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    const { updateOrderStatus } = await admin.UpdateOrderStatus({ id: orderId, status: 'SHIPPED' });
    expect(updateOrderStatus?.userErrors).toEqual([]);
    await eventually(() => page.getByRole('status', { name: 'Order status' }).textContent()).toBe('Shipped');
    expect(await page.evaluate(() => 'sameDocument' in window)).toBe(true);

    expect(inaccessible).toEqual([]);
    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });

  it("keeps a product's stock live: out of stock and back while the page is open", async () => {
    const product = await admin.newProduct(`Live Honey ${randomUUID().slice(0, 6)}`, { price: '7.25', stock: 5 });
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(`${storefrontUrl}/products/${product.id}`);
    await eventually(() => page.getByText(/in stock$|^Out of stock$/).textContent()).toBe('5 in stock');
    await vi.waitFor(async () => expect(await openSubscriptions(supergraph.metricsUrls.gateway, 'productUpdated')).toBe(1), { timeout: 10_000 });

    expect((await admin.UpdateStock({ productId: product.id, stock: 0 })).updateStock?.userErrors).toEqual([]);
    await eventually(() => page.getByRole('status').filter({ hasText: /stock/ }).textContent()).toBe('Out of stock');
    expect(await page.getByRole('button', { name: 'Add to cart' }).isDisabled()).toBe(true);

    expect((await admin.UpdateStock({ productId: product.id, stock: 3 })).updateStock?.userErrors).toEqual([]);
    await eventually(() => page.getByRole('status').filter({ hasText: /stock/ }).textContent()).toBe('3 in stock');
    expect(await page.getByRole('button', { name: 'Add to cart' }).isEnabled()).toBe(true);

    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
    await vi.waitFor(async () => expect(await openSubscriptions(supergraph.metricsUrls.gateway, 'productUpdated')).toBe(0), { timeout: 10_000 });
  });

  it('counts the cart in the header as a signed-in shopper adds, changes and removes', async () => {
    const product = await admin.newProduct(`Badge Apples ${randomUUID().slice(0, 6)}`, { price: '0.80', stock: 10 });
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(`${storefrontUrl}/register`);
    await page.getByLabel('Name').fill('Bo Berg');
    await page.getByLabel('Email').fill(`bo-${randomUUID().slice(0, 6)}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await eventually(() => new URL(page.url()).pathname).toBe('/');

    await page.goto(`${storefrontUrl}/products/${product.id}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await eventually(() => cartLink(page, 'Cart, 1 item')).toBe(1);
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await eventually(() => cartLink(page, 'Cart, 3 items')).toBe(1);

    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('button', { name: `Increase quantity of ${product.name}` }).click();
    await eventually(() => cartLink(page, 'Cart, 4 items')).toBe(1);
    // $0.80 × 4, as the API adds it up.
    await eventually(() => page.getByRole('complementary', { name: 'Order summary' }).textContent()).toContain('$3.20');
    await page.getByRole('button', { name: `Remove ${product.name}` }).click();
    await eventually(() => cartLink(page, 'Cart, 0 items')).toBe(1);
    await eventually(() => page.getByRole('heading', { name: 'Your cart is empty' }).count()).toBe(1);

    // Signing out forgets the token and the cart shown.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate(() => localStorage.getItem('greencart.token'))).toBeNull();
    await eventually(() => page.getByRole('link', { name: 'Sign in' }).count()).toBe(1);

    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });

  it('keeps the page, search, category and "in stock only" in the address, so reload and back restore them', async () => {
    const suffix = randomUUID().slice(0, 6);
    const { createCategory } = await admin.CreateCategory({ input: { name: `Pantry ${suffix}` } });
    const categoryId = createCategory!.category!.id;
    const inStock = await admin.CreateProduct({ input: { sku: `SF-${suffix}-1`, name: `Pantry Lentils ${suffix}`, description: 'Green lentils.', price: '2.10', stock: 4, categoryId } });
    const soldOut = await admin.CreateProduct({ input: { sku: `SF-${suffix}-2`, name: `Pantry Chickpeas ${suffix}`, description: 'Dried chickpeas.', price: '1.90', stock: 0, categoryId } });
    expect([inStock.createProduct?.userErrors, soldOut.createProduct?.userErrors]).toEqual([[], []]);
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    const listed = () => page.getByRole('list', { name: 'Products' }).getByRole('link').allTextContents();

    // Pages of the catalogue (twelve products each) are addresses too.
    await page.goto(storefrontUrl);
    await eventually(listed).toHaveLength(12);
    const firstPage = await listed();
    await page.getByRole('link', { name: 'Next page' }).click();
    await eventually(() => new URL(page.url()).searchParams.has('after')).toBe(true);
    await eventually(async () => (await listed()).some((name) => firstPage.includes(name))).toBe(false);
    await page.goBack();
    await eventually(listed).toEqual(firstPage);

    await page.getByLabel('Category').selectOption({ label: `Pantry ${suffix}` });
    await eventually(listed).toEqual([`Pantry Chickpeas ${suffix}`, `Pantry Lentils ${suffix}`]);
    await page.getByLabel('In stock only').check();
    await eventually(listed).toEqual([`Pantry Lentils ${suffix}`]);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ category: categoryId, inStock: '1' });

    await page.reload();
    await eventually(listed).toEqual([`Pantry Lentils ${suffix}`]);
    expect(await page.getByLabel('In stock only').isChecked()).toBe(true);
    expect(await page.getByLabel('Category').inputValue()).toBe(categoryId);

    await page.getByRole('searchbox', { name: 'Search products' }).fill('chickpeas');
    await page.getByRole('searchbox', { name: 'Search products' }).press('Enter');
    await eventually(() => page.getByRole('heading', { name: 'No products match' }).count()).toBe(1);
    await page.getByLabel('In stock only').uncheck();
    await eventually(listed).toEqual([`Pantry Chickpeas ${suffix}`]);

    await page.goBack();
    await eventually(() => page.getByRole('heading', { name: 'No products match' }).count()).toBe(1);
    expect(await page.getByRole('searchbox', { name: 'Search products' }).inputValue()).toBe('chickpeas');
    await page.goBack();
    await eventually(listed).toEqual([`Pantry Lentils ${suffix}`]);
    expect(await page.getByRole('searchbox', { name: 'Search products' }).inputValue()).toBe('');

    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });

  it('answers an unknown address, and an unknown product, with a page that says so', async () => {
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(`${storefrontUrl}/no/such/page`);
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
    await page.getByRole('link', { name: 'Back to the shop' }).click();
    await eventually(() => page.getByRole('searchbox', { name: 'Search products' }).count()).toBe(1);

    await page.goto(`${storefrontUrl}/products/${randomUUID()}`);
    await eventually(() => page.getByRole('heading', { name: 'Product not found' }).count()).toBe(1);
    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });

  it("lists a shopper's orders, and pays one left waiting from its page", async () => {
    const product = await admin.newProduct(`Waiting Jam ${randomUUID().slice(0, 6)}`, { price: '3.75', stock: 6 });
    const customer = await supergraph.registerCustomer();
    const shopper = createClient({ url: `${supergraph.gatewayUrl}/graphql`, token: customer.token });
    const { placeOrder } = await shopper.PlaceOrder({ input: { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 2 }] } });
    const order = placeOrder!.order!;
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(storefrontUrl);
    await page.evaluate((token) => localStorage.setItem('greencart.token', token), customer.token);

    await page.goto(`${storefrontUrl}/orders`);
    await page.getByRole('link', { name: order.number }).click();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`Order ${order.number}`);
    await eventually(() => page.getByRole('status', { name: 'Order status' }).textContent()).toBe('Pending payment');
    expect(await page.getByRole('table').textContent()).toContain('$7.50');

    await page.getByLabel('Card number').fill('4242424242424242');
    await page.getByLabel('Expiry (MM/YY)').fill(`01/${String((new Date().getUTCFullYear() + 2) % 100).padStart(2, '0')}`);
    await page.getByLabel('CVC').fill('321');
    await page.getByRole('button', { name: 'Pay now' }).click();
    await eventually(() => page.getByRole('status', { name: 'Order status' }).textContent()).toBe('Paid');
    expect(await page.getByRole('button', { name: 'Pay now' }).count()).toBe(0);
    expect((await shopper.Order({ id: order.id })).order?.status).toBe('PAID');

    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });

  it('keeps the token across reloads, and forgets it when the API refuses it', async () => {
    const customer = await supergraph.registerCustomer();
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(`${storefrontUrl}/sign-in`);
    await page.getByLabel('Email').fill(customer.email);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    await page.reload();
    await eventually(() => page.getByRole('link', { name: 'Orders' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);

    // A token the gateway no longer accepts (here: tampered with) signs the shopper out.
    await page.evaluate(() => localStorage.setItem('greencart.token', `${localStorage.getItem('greencart.token')}x`));
    await page.goto(`${storefrontUrl}/orders`);
    await eventually(() => new URL(page.url()).pathname).toBe('/sign-in');
    await eventually(() => page.evaluate(() => localStorage.getItem('greencart.token'))).toBeNull();
    expect(await page.getByRole('link', { name: 'Sign in' }).count()).toBe(1);
    // The refusal itself may show in the console as an HTTP 401; nothing else may.
    expect(trouble.consoleErrors.filter((error) => !/status of 401/.test(error))).toEqual([]);
    expect(trouble.unpersistedRequests).toEqual([]);
    await context.close();
  });

  // Last: it stops the gateway.
  it('shows an error, not a blank page, when the gateway is down', async () => {
    await supergraph.stopService('gateway');
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(storefrontUrl);
    await eventually(() => page.getByRole('alert').textContent()).toContain('The catalogue is unavailable');
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    // The shell still works: search and the header are there to use once the shop is back.
    expect(await page.getByRole('searchbox', { name: 'Search products' }).count()).toBe(1);
    expect(trouble.failedRequests.length).toBeGreaterThan(0);
    await context.close();
  });
});
