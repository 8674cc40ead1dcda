// Screenshots of the storefront for docs/storefront.md (`npm run screenshots`): the real stack
// started as the browser tests start it (the four subgraphs and the gateway on a throwaway
// embedded PostgreSQL, seeded with the demo catalogue, shoppers and reviews; the storefront on
// Vite's dev server), photographed in the tests' Chromium. Writes docs/storefront-<page>.png.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createClient } from '@greencart/client';
import { createLogger, repositoryRoot, startEmbeddedPostgres } from '@greencart/platform';
import { launchChromium } from '../test/support/chromium.js';
import { freePort } from '../test/support/ports.js';
import { startStorefront } from '../test/support/storefront.js';
import { startSupergraph } from '../test/support/supergraph.js';

const VIEWPORT = { width: 1280, height: 860 };
const shot = (page: Page, name: string) => page.screenshot({ path: join(repositoryRoot, 'docs', `storefront-${name}.png`) });

/** Waits until `ready` holds in the page (what a shopper waits to see), for up to 20 s. */
async function until(page: Page, what: string, ready: () => boolean) {
  await page.waitForFunction(ready, undefined, { timeout: 20_000 }).catch(() => {
    throw new Error(`the ${what} never showed`);
  });
}

/** Every picture in view decoded: a screenshot shows what a shopper sees once the page has settled. */
const picturesLoaded = () => [...document.images].filter((image) => image.getBoundingClientRect().top < innerHeight).every((image) => image.complete && image.naturalWidth > 0);

const folder = await mkdtemp(join(tmpdir(), 'greencart-screenshots-'));
const postgres = await startEmbeddedPostgres({ dataDir: join(folder, 'postgres'), port: await freePort(), logger: createLogger('screenshots-postgres', 'warn') });
const supergraph = await startSupergraph({ postgresServerUrl: postgres.url, seedDemoHistory: true });
const storefront = await startStorefront(supergraph.gatewayUrl);
const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();

  await page.goto(storefront.url);
  await until(page, 'catalogue', () => document.querySelectorAll('.product-card img').length > 0);
  await until(page, "catalogue's pictures", picturesLoaded);
  await shot(page, 'catalogue');

  // A product with reviews and bought-together items from the demo history.
  await page.goto(`${storefront.url}/?q=sourdough`);
  await page.getByRole('link', { name: 'Sourdough Loaf', exact: true }).click();
  await until(page, 'product page', () => document.querySelector('h1')?.textContent === 'Sourdough Loaf' && !document.querySelector('.product-section [role="status"]'));
  await until(page, "product's picture", picturesLoaded);
  await shot(page, 'product');

  // A new shopper's cart, filled through the API, then checked out in the page.
  const api = createClient({ url: `${supergraph.gatewayUrl}/graphql` });
  const { register } = await api.Register({ input: { name: 'Sam Rivera', email: `sam-${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery' } });
  const shopper = api.withToken(register!.token!);
  const { products } = await shopper.Products({ first: 3, filter: { inStock: true } });
  for (const [index, edge] of products!.edges.entries()) await shopper.AddToCart({ input: { productId: edge.node.id, quantity: index + 1 } });
  await page.evaluate((token) => localStorage.setItem('greencart.token', token), register!.token!);
  await page.goto(`${storefront.url}/cart`);
  await until(page, 'cart', () => document.querySelectorAll('.cart-line img').length === 3);
  await until(page, "cart's pictures", picturesLoaded);
  await shot(page, 'cart');

  await page.getByRole('link', { name: 'Check out' }).click();
  await page.getByLabel('Address', { exact: true }).fill('12 Orchard Road');
  await page.getByLabel('City').fill('Springfield');
  await page.getByLabel('Postal code').fill('12345');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiry (MM/YY)').fill(`12/${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`);
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: 'Place order' }).click();
  await until(page, 'order page', () => document.querySelector('[aria-label="Order status"]')?.textContent === 'Paid');
  await shot(page, 'order');
  console.log('wrote docs/storefront-catalogue.png, storefront-product.png, storefront-cart.png, storefront-order.png');
} finally {
  await browser.close();
  await storefront.close();
  await supergraph.stop();
  await postgres.stop();
  await rm(folder, { recursive: true, force: true });
}
