import { existsSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it; `CHROMIUM_PATH` to override); never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether browser tests can run here: without Chromium they skip, except in CI, where that is an error. */
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI) throw new Error(`Chromium is not at ${CHROMIUM}: .ci/run should have installed it`);

/** Headless Chromium with nothing of its own phoning home. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A browser context that lets only local requests out, and the list of those it stopped. */
export async function localOnlyContext(browser: Browser): Promise<{ context: BrowserContext; leaving: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 850 } });
  const leaving: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    leaving.push(url.href);
    return route.abort();
  });
  return { context, leaving };
}

/**
 * Serves a test's pages from `http://localhost:<port>`: to a browser another origin than a
 * gateway on `127.0.0.1`, as a storefront on its own domain is.
 */
export async function serveOnAnotherOrigin(handler: RequestListener): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
