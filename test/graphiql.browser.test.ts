import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { repositoryRoot } from '@greencart/platform';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';
import { chromiumAvailable, launchChromium, localOnlyContext } from './support/chromium.js';

describe.runIf(chromiumAvailable)('GraphiQL at the gateway, in a real browser', () => {
  let supergraph: TestSupergraph;
  let browser: Browser;
  beforeAll(async () => {
    supergraph = await startSupergraph();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await supergraph?.stop();
  });

  it('loads with every non-local request blocked, runs a typed query and shows its result', async () => {
    const { context, leaving } = await localOnlyContext(browser);
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
