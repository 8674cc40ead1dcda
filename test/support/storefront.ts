import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createServer } from 'vite';
import { repositoryRoot } from '@greencart/platform';
import { launchChromium } from './chromium.js';
import { freePort } from './ports.js';
import { startSupergraph, type TestSupergraph } from './supergraph.js';

// Helpers for browser tests of the storefront (storefront/): its dev server, a watched page, axe.

const STOREFRONT_ROOT = join(repositoryRoot, 'storefront');
/** The storefront's persisted documents: every request it sends must name one of them. */
const storefrontManifest = () => JSON.parse(readFileSync(join(STOREFRONT_ROOT, 'src', 'generated', 'persisted-documents.json'), 'utf8')) as Record<string, string>;

/** What went wrong on a page that a shopper or a developer's console would see. */
export interface PageTrouble {
  consoleErrors: string[];
  failedRequests: string[];
  /** GraphQL requests to the gateway that named no persisted document of the storefront's. */
  unpersistedRequests: string[];
  /** Requests for anything off this machine. */
  leaving: string[];
}

/**
 * A shopper's browser. Requests are watched, not intercepted: with Playwright's request routing on,
 * Chromium lets through cross-origin requests whose CORS preflight would fail, which is exactly
 * what a storefront on another origin than the gateway's must not depend on.
 */
export async function shopperPage(browser: Browser, gatewayUrl: string, viewport = { width: 1280, height: 850 }): Promise<{ context: BrowserContext; page: Page; trouble: PageTrouble }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const trouble: PageTrouble = { consoleErrors: [], failedRequests: [], unpersistedRequests: [], leaving: [] };
  const manifest = storefrontManifest();
  page.on('console', (message) => message.type() === 'error' && trouble.consoleErrors.push(message.text()));
  page.on('pageerror', (error) => trouble.consoleErrors.push(error.message));
  page.on('requestfailed', (request) => {
    // A body the page stopped reading itself is no failure: Apollo Client cancels a multipart
    // (@defer) answer once it has read the final boundary, and a query whose variables changed.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    trouble.failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on('response', (response) => response.status() >= 400 && trouble.failedRequests.push(`${response.request().method()} ${response.url()}: ${response.status()}`));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') trouble.leaving.push(url.href);
    if (url.origin !== new URL(gatewayUrl).origin || url.pathname !== '/graphql' || request.method() === 'OPTIONS') return;
    const body = request.method() === 'POST' ? (JSON.parse(request.postData() ?? '{}') as { extensions?: { persistedQuery?: { sha256Hash?: string } } }) : undefined;
    const extensions = body?.extensions ?? (JSON.parse(url.searchParams.get('extensions') ?? '{}') as { persistedQuery?: { sha256Hash?: string } });
    const hash = extensions.persistedQuery?.sha256Hash;
    if (!hash || !Object.hasOwn(manifest, hash)) trouble.unpersistedRequests.push(`${request.method()} ${request.url()}`);
  });
  return { context, page, trouble };
}

export const NO_TROUBLE: PageTrouble = { consoleErrors: [], failedRequests: [], unpersistedRequests: [], leaving: [] };

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.1 A and AA violations on the page as it stands, each with the elements it found. */
export async function accessibilityViolations(page: Page, label: string): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const { axe } = window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } };
    const results = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  });
  return violations.map((violation) => `${label}: ${violation}`);
}

/**
 * The storefront served by Vite's dev server (its JS API), as `npm start` serves it: the gateway's
 * address in VITE_GREENCART_URL, a free port. Each vitest worker keeps Vite's dependency cache in a
 * folder of its own (kept between runs, ignored by git), so that two test files, or `npm start`,
 * serving it at once never optimise into the same folder.
 */
export async function startStorefront(gatewayUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  process.env.VITE_GREENCART_URL = `${gatewayUrl}/graphql`;
  const port = await freePort();
  const cacheDir = join(STOREFRONT_ROOT, 'node_modules', `.vite-test-${process.env.VITEST_POOL_ID ?? 0}`);
  const server = await createServer({ configFile: join(STOREFRONT_ROOT, 'vite.config.ts'), cacheDir, server: { port, strictPort: true, host: '127.0.0.1' }, logLevel: 'warn' });
  await server.listen();
  return {
    // localhost, not 127.0.0.1: another origin than the gateway's, as a storefront on its own domain is.
    url: `http://localhost:${port}`,
    close: () => server.close(),
  };
}

/** What a storefront browser test file runs against: the real stack, the storefront on it, a Chromium. */
export interface StorefrontStack {
  supergraph: TestSupergraph;
  storefront: { url: string; close(): Promise<void> };
  browser: Browser;
  /** Stops all three, the browser first. */
  stop(): Promise<void>;
}

/** Starts a file's stack once: the supergraph, the storefront's dev server pointed at its gateway, and Chromium. */
export async function startStorefrontStack(): Promise<StorefrontStack> {
  const supergraph = await startSupergraph();
  let storefront: StorefrontStack['storefront'] | undefined;
  let browser: Browser;
  try {
    storefront = await startStorefront(supergraph.gatewayUrl);
    browser = await launchChromium();
  } catch (error) {
    // What did start stops, so a failed start leaves no servers behind.
    await storefront?.close();
    await supergraph.stop();
    throw error;
  }
  return {
    supergraph,
    storefront,
    browser,
    async stop() {
      await browser.close();
      await storefront.close();
      await supergraph.stop();
    },
  };
}
