import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { createClient } from '@greencart/client';
import { chromiumAvailable } from './support/chromium.js';
import { accessibilityViolations, NO_TROUBLE, shopperPage, startStorefrontStack, type StorefrontStack } from './support/storefront.js';
import { ADMIN, type TestSupergraph } from './support/supergraph.js';

/**
 * The storefront with a keyboard alone: every step of a purchase by Tab, Shift+Tab, Enter, Space,
 * arrows and typing, never the mouse. Elements are found the way a keyboard user finds them:
 * pressing Tab until the one with the right name has the focus, and seeing that it shows it.
 */

/** Waits for what a shopper would see, for up to 10 s (a busy machine); no claim about speed. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

const isFocused = (target: Locator) => target.evaluateAll((elements) => elements.some((element) => element === document.activeElement));

/** How the focused element shows it has the focus: its outline, which a keyboard user must be able to see. */
const focusRing = (page: Page) =>
  page.evaluate(() => {
    const focused = document.activeElement!;
    const style = getComputedStyle(focused);
    return { focusVisible: focused.matches(':focus-visible'), outline: style.outlineStyle === 'none' ? 'none' : `${style.outlineWidth} ${style.outlineStyle}` };
  });

/**
 * Presses Tab (or Shift+Tab) until `target` has the focus, as a keyboard user moves through a page;
 * fails after `limit` presses, naming where the focus went instead. Waits up to 10 s for `target`
 * to appear first (the page may still be loading), then checks that the focus is visible on it.
 */
async function tabTo(page: Page, target: Locator, { backwards = false, limit = 30 } = {}): Promise<void> {
  await eventually(() => target.count()).toBeGreaterThan(0);
  const visited: string[] = [];
  for (let presses = 0; !(await isFocused(target)); presses += 1) {
    if (presses === limit) throw new Error(`${target} not reached in ${limit} presses of ${backwards ? 'Shift+Tab' : 'Tab'}; the focus went to: ${visited.join(' → ')}`);
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    visited.push(await page.evaluate(() => `${document.activeElement!.tagName.toLowerCase()} "${(document.activeElement!.textContent ?? '').trim().slice(0, 40)}"`));
  }
  const ring = await focusRing(page);
  expect(ring.focusVisible, `${target} shows no focus`).toBe(true);
  expect(ring.outline, `${target} has no visible outline`).not.toBe('none');
}

/** Tabs to a text field by its label and types into it. */
async function typeInto(page: Page, label: string, text: string) {
  await tabTo(page, page.getByRole('textbox', { name: label, exact: true }));
  await page.keyboard.type(text);
}

describe.runIf(chromiumAvailable)('the storefront by keyboard alone', { timeout: 90_000 }, () => {
  let supergraph: TestSupergraph;
  let storefront: StorefrontStack['storefront'];
  let browser: Browser;
  let stack: StorefrontStack | undefined;

  beforeAll(async () => {
    stack = await startStorefrontStack();
    ({ supergraph, storefront, browser } = stack);
  }, 120_000);

  afterAll(() => stack?.stop());

  it('searches, opens a product, adds it to the cart, registers, checks out with a card and sees the order, never touching the mouse', async () => {
    const suffix = randomUUID().slice(0, 6);
    const api = createClient({ url: `${supergraph.gatewayUrl}/graphql` });
    const { login } = await api.Login({ input: { email: ADMIN.email, password: ADMIN.password } });
    const admin = api.withToken(login!.token!);
    const { categories } = await admin.Categories();
    const name = `Keyboard Kale ${suffix}`;
    const { createProduct } = await admin.CreateProduct({ input: { sku: `KB-${suffix}`, name, description: 'Curly kale.', price: '2.25', stock: 9, categoryId: categories![0]!.id } });
    expect(createProduct?.userErrors).toEqual([]);

    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    const inaccessible: string[] = [];
    await page.goto(storefront.url);
    await eventually(() => page.getByRole('list', { name: 'Products' }).count()).toBe(1);

    // The first Tab reaches the skip link, which jumps past the header to the search.
    await tabTo(page, page.getByRole('link', { name: 'Skip to content' }), { limit: 1 });
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await isFocused(page.getByRole('searchbox', { name: 'Search products' }))).toBe(true);

    // Search, and open the product from the results.
    await page.keyboard.type(name);
    await page.keyboard.press('Enter');
    await eventually(() => page.getByRole('list', { name: 'Products' }).getByRole('link').allTextContents()).toEqual([name]);
    await tabTo(page, page.getByRole('link', { name, exact: true }));
    await page.keyboard.press('Enter');
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(name);
    await eventually(() => page.getByText(/in stock$/).textContent()).toBe('9 in stock');

    // Two of it: past the button and back to the quantity, up one, then the button again.
    await tabTo(page, page.getByRole('button', { name: 'Add to cart' }));
    await tabTo(page, page.getByRole('spinbutton', { name: 'Quantity' }), { backwards: true, limit: 3 });
    await page.keyboard.press('ArrowUp');
    await tabTo(page, page.getByRole('button', { name: 'Add to cart' }), { limit: 3 });
    await page.keyboard.press('Enter');

    // A visitor is asked to sign in; they register instead, and the two are added.
    await eventually(() => new URL(page.url()).pathname).toBe('/sign-in');
    await tabTo(page, page.getByRole('link', { name: 'Create an account' }));
    await page.keyboard.press('Enter');
    await eventually(() => new URL(page.url()).pathname).toBe('/register');
    await typeInto(page, 'Name', 'Kim Keys');
    await typeInto(page, 'Email', `kim-${suffix}@example.com`);
    await typeInto(page, 'Password', 'correct horse battery');
    await tabTo(page, page.getByRole('button', { name: 'Create account' }));
    await page.keyboard.press('Enter');
    await eventually(() => new URL(page.url()).pathname).toBe('/cart');
    await eventually(() => page.getByRole('link', { name: 'Cart, 2 items', exact: true }).count()).toBe(1);
    await eventually(() => page.getByRole('complementary', { name: 'Order summary' }).textContent()).toContain('$4.50');

    // Check out: the address, the card, and Place order pressed with Space.
    await tabTo(page, page.getByRole('link', { name: 'Check out' }));
    await page.keyboard.press('Enter');
    await eventually(() => new URL(page.url()).pathname).toBe('/checkout');
    await typeInto(page, 'Address', '1 Keyboard Lane');
    await typeInto(page, 'City', 'Springfield');
    await typeInto(page, 'Postal code', '12345');
    await typeInto(page, 'Card number', '4242 4242 4242 4242');
    await typeInto(page, 'Expiry (MM/YY)', `12/${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`);
    await typeInto(page, 'CVC', '123');
    inaccessible.push(...(await accessibilityViolations(page, 'checkout')));
    await tabTo(page, page.getByRole('button', { name: 'Place order' }));
    await page.keyboard.press('Space');

    // The order's page, paid.
    await eventually(() => new URL(page.url()).pathname).toMatch(/^\/orders\/[0-9a-f-]+$/);
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/^Order \S+/);
    await eventually(() => page.getByRole('status', { name: 'Order status' }).textContent()).toBe('Paid');
    await eventually(() => page.getByRole('link', { name: 'Cart, 0 items', exact: true }).count()).toBe(1);
    // And from there, the header's links by keyboard too: back to the orders list.
    await tabTo(page, page.getByRole('link', { name: 'Orders', exact: true }), { backwards: true });
    await page.keyboard.press('Enter');
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Your orders');

    expect(inaccessible).toEqual([]);
    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });
});
