import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { repositoryRoot } from '@greencart/platform';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/** Debian's Chromium (`.ci/run` installs it); on a machine without it the test says so and skips, except in CI. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`Chromium is not at ${CHROMIUM}: .ci/run should have installed it`);

describe.runIf(available)('GraphiQL at the gateway, in a real browser', () => {
  let supergraph: TestSupergraph;
  let browser: Browser;
  beforeAll(async () => {
    supergraph = await startSupergraph();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await supergraph?.stop();
  });

  it('loads with every non-local request blocked, runs a typed query and shows its result', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
    const leaving: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
      leaving.push(url.href);
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    await page.goto(`${supergraph.gatewayUrl}/graphql`);
    const editor = page.locator('.graphiql-query-editor').first();
    await editor.waitFor({ state: 'visible', timeout: 20_000 });
    // The contract's operations are there as example tabs, signing in first.
    await expect.poll(() => page.locator('.graphiql-tab').count()).toBeGreaterThan(10);

    await page.locator('.graphiql-tab-add').click();
    await expect.poll(() => page.locator('.graphiql-tab').count()).toBeGreaterThan(11);
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('query Categories { categories { name productCount } }');
    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');
    await expect.poll(() => response.innerText(), { timeout: 15_000 }).toContain('productCount');
    expect(await response.innerText()).toContain('Bakery');

    if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: join(repositoryRoot, 'docs', 'graphiql.png') });
    expect(leaving).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('is not served to API clients, which still get GraphQL', async () => {
    const response = await fetch(`${supergraph.gatewayUrl}/graphql?query=${encodeURIComponent('{ categories { name } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.headers.get('content-type')).toContain('application/json');
  });
});
