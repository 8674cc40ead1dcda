import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { createClient } from '@greencart/client';
import { chromiumAvailable } from './support/chromium.js';
import { accessibilityViolations, NO_TROUBLE, shopperPage, startStorefrontStack, type StorefrontStack } from './support/storefront.js';
import { ADMIN, type TestSupergraph } from './support/supergraph.js';

/**
 * Product pictures in the storefront, as a shopper sees them: real images from the gateway's
 * `/images/` URLs, the width the box needs out of the ladder, the product's alt text, and a page
 * that does not jump when they arrive.
 */

/** Waits for what a shopper would see, for up to 10 s (a busy machine); no claim about speed. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

/** What the browser made of an `<img>`: the URL it chose from the srcset, whether it decoded, and its box. */
const shown = (image: Locator) =>
  image.evaluate((element: HTMLImageElement) => ({
    currentSrc: element.currentSrc,
    loaded: element.complete && element.naturalWidth > 0,
    box: { width: Math.round(element.getBoundingClientRect().width), height: Math.round(element.getBoundingClientRect().height) },
  }));

/**
 * Records every layout shift the page makes from its first paint (Chromium's Layout Instability
 * API), with the headings that moved: what a shopper sees as a page jumping under their eyes.
 */
async function watchLayoutShifts(page: Page) {
  await page.addInitScript(() => {
    const moved: string[] = [];
    Object.assign(window, { movedHeadings: moved });
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as unknown as Array<{ sources?: Array<{ node?: Node }> }>) {
        for (const source of entry.sources ?? []) {
          const node = source.node;
          if (!(node instanceof Element)) continue;
          // A heading that moved, itself or inside what moved.
          const heading = node.matches('h1, h3') ? node : node.querySelector('h1, h3');
          if (heading) moved.push(heading.textContent ?? '');
        }
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
  return () => page.evaluate(() => (window as unknown as { movedHeadings: string[] }).movedHeadings);
}

describe.runIf(chromiumAvailable)('product pictures in the storefront', { timeout: 60_000 }, () => {
  let supergraph: TestSupergraph;
  let storefront: StorefrontStack['storefront'];
  let browser: Browser;
  let stack: StorefrontStack | undefined;

  beforeAll(async () => {
    stack = await startStorefrontStack();
    ({ supergraph, storefront, browser } = stack);
  }, 120_000);

  afterAll(() => stack?.stop());

  it("shows each catalogue tile's picture, and a product page's large, from the gateway at the width the box needs", async () => {
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(storefront.url);
    const tiles = page.getByRole('list', { name: 'Products' }).getByRole('listitem');
    await eventually(() => tiles.count()).toBe(12);

    // The first row, in view: each tile's picture is named by its product and loaded from the gateway.
    for (let index = 0; index < 4; index += 1) {
      const name = (await tiles.nth(index).getByRole('link').textContent())!;
      const picture = tiles.nth(index).getByRole('img', { name, exact: true });
      await eventually(async () => (await shown(picture)).loaded).toBe(true);
      const { currentSrc, box } = await shown(picture);
      expect(currentSrc.startsWith(`${supergraph.gatewayUrl}/images/`), currentSrc).toBe(true);
      // A square box about 266 pixels wide on a 1× screen: the 320 step, not the 640 original.
      expect(box.width).toBe(box.height);
      expect(currentSrc, `a ${box.width}-pixel tile`).toMatch(/\/320\.webp$/);
    }

    // The first product's page: its picture, named as the demo catalogue names it (by the product).
    const first = (await tiles.first().getByRole('link').textContent())!;
    await tiles.first().getByRole('link').click();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(first);
    const photo = page.getByRole('article').getByRole('img', { name: first, exact: true }).first();
    await eventually(async () => (await shown(photo)).loaded).toBe(true);
    const { currentSrc, box } = await shown(photo);
    expect(currentSrc.startsWith(`${supergraph.gatewayUrl}/images/`), currentSrc).toBe(true);
    // The demo pictures are 640 × 640: the large one is drawn square, from the 640 step.
    expect(currentSrc).toMatch(/\/640\.webp$/);
    expect(box.width).toBeGreaterThan(400);
    expect(box.height).toBe(box.width);
    expect(await accessibilityViolations(page, 'product with its picture')).toEqual([]);

    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });

  it('keeps the page still while pictures load: nothing below a picture moves', async () => {
    // A phone's width, where the product's heading sits under its picture.
    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl, { width: 390, height: 844 });
    const movedHeadings = await watchLayoutShifts(page);
    await page.goto(storefront.url);
    const firstTile = page.getByRole('list', { name: 'Products' }).getByRole('listitem').first();
    const name = (await firstTile.getByRole('link').textContent())!;
    await eventually(async () => (await shown(firstTile.getByRole('img', { name, exact: true }))).loaded).toBe(true);
    expect(await movedHeadings()).toEqual([]);

    await firstTile.getByRole('link').click();
    await eventually(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(name);
    await eventually(async () => (await shown(page.getByRole('article').getByRole('img', { name, exact: true }).first())).loaded).toBe(true);
    await eventually(() => page.getByRole('region', { name: 'Reviews' }).getByRole('status').count()).toBe(0);
    expect(await movedHeadings()).toEqual([]);

    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });

  it("shows a product's pictures in their order, each at its own proportions, the others as thumbnails that show it large; a product without any gets the placeholder", async () => {
    const api = createClient({ url: `${supergraph.gatewayUrl}/graphql` });
    const { login } = await api.Login({ input: { email: ADMIN.email, password: ADMIN.password } });
    const admin = api.withToken(login!.token!);
    const { categories } = await admin.Categories();
    const suffix = randomUUID().slice(0, 6);
    const newProduct = async (name: string) => {
      const { createProduct } = await admin.CreateProduct({ input: { sku: `IMG-${suffix}-${name.length}`, name, description: 'Pictured.', price: '3.00', stock: 5, categoryId: categories![0]!.id } });
      expect(createProduct?.userErrors).toEqual([]);
      return createProduct!.product!;
    };
    /** Uploads a plain picture as an admin's browser would: a ticket, then the bytes with its method and headers. */
    const upload = async (productId: string, width: number, height: number, altText: string) => {
      const bytes = await sharp({ create: { width, height, channels: 3, background: { r: 90, g: 140, b: 70 } } })
        .jpeg()
        .toBuffer();
      const { createProductImageUpload } = await admin.CreateProductImageUpload({ input: { productId, contentType: 'image/jpeg', byteSize: bytes.length, altText } });
      expect(createProductImageUpload?.userErrors).toEqual([]);
      const ticket = createProductImageUpload!.upload!;
      const response = await fetch(ticket.url, { method: ticket.method, headers: Object.fromEntries(ticket.headers.map((header) => [header.name, header.value])), body: new Uint8Array(bytes) });
      expect(response.status).toBe(201);
    };

    const pictured = await newProduct(`Gallery Pears ${suffix}`);
    await upload(pictured.id, 1200, 800, 'Pears in a wooden crate');
    await upload(pictured.id, 600, 900, 'One pear, close up');
    const bare = await newProduct(`Bare Plums ${suffix}`);

    const { context, page, trouble } = await shopperPage(browser, supergraph.gatewayUrl);
    await page.goto(`${storefront.url}/products/${pictured.id}`);
    const large = page.getByRole('article').getByRole('img', { name: 'Pears in a wooden crate', exact: true });
    await eventually(async () => (await shown(large)).loaded).toBe(true);
    const landscape = await shown(large);
    // 1200 × 800 drawn about 560 wide: the 640 step, in a 3:2 box.
    expect(landscape.currentSrc).toMatch(/\/640\.webp$/);
    expect(Math.abs(landscape.box.height - (landscape.box.width * 2) / 3)).toBeLessThanOrEqual(1);

    const thumbnails = page.getByRole('list', { name: `Pictures of ${pictured.name}` }).getByRole('button');
    expect(await thumbnails.count()).toBe(2);
    expect(await thumbnails.first().getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Picture 2 of 2: One pear, close up' }).click();
    const portrait = page.getByRole('article').getByRole('img', { name: 'One pear, close up', exact: true });
    await eventually(async () => (await shown(portrait)).loaded).toBe(true);
    expect(await page.getByRole('button', { name: 'Picture 2 of 2: One pear, close up' }).getAttribute('aria-pressed')).toBe('true');
    const upright = await shown(portrait);
    expect(upright.currentSrc.startsWith(`${supergraph.gatewayUrl}/images/`)).toBe(true);
    expect(upright.box.height).toBeGreaterThan(upright.box.width);
    expect(await accessibilityViolations(page, 'product with two pictures')).toEqual([]);

    await page.goto(`${storefront.url}/products/${bare.id}`);
    await eventually(() => page.getByRole('img', { name: `${bare.name} (no photo yet)` }).count()).toBe(1);

    expect(trouble).toEqual(NO_TROUBLE);
    await context.close();
  });
});
