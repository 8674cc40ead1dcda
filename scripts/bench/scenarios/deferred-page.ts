// Q5 of the bench (target `deferred`): the contract's ProductPage through (c), with and without
// @defer, while orders (whose part is `boughtTogether`) answers every call 50 ms late. A page that
// defers what another subgraph adds should paint at the speed of the rest: measured as the time to
// the first part (the initial payload) and to the last (the whole answer), for each request.
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { print } from 'graphql';
import { operationDocuments, operationsPath } from '@greencart/gateway';
import { percentile } from '../common.js';
import type { DeferredPageResult, DeferredPageRun } from '../deferred-page-report.js';

import { Q5_ORDERS_DELAY_MS } from '../deferred-page-report.js';
import { log } from '../harness/log.js';
import type { BenchSession } from '../harness/session.js';

/** The contract's ProductPage (with its two @defer fragments), a client operation, as docs/query-plans.md plans it. */
const PRODUCT_PAGE = print(operationDocuments(readFileSync(operationsPath, 'utf8')).find(({ operation }) => operation.name?.value === 'ProductPage')!.document);
/** The same operation, every fragment inline: the answer comes whole. */
const PRODUCT_PAGE_UNDEFERRED = PRODUCT_PAGE.replace(/@defer\(label: "\w+"\)/g, '');
const MULTIPART = 'multipart/mixed;deferSpec=20220824, application/json';

/**
 * A proxy in front of orders that holds every request `delayMs` before passing it on, and streams
 * the answer back (the gateway's change feed goes through it too). Bench code: orders itself has no delay.
 */
export async function startDelayingProxy(target: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    setTimeout(() => {
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the delaying proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface PageTiming {
  firstMs: number;
  lastMs: number;
  /** The merged answer held the product, its boughtTogether and its reviews, and no error. */
  complete: boolean;
}

/** One ProductPage request: when its first part (or its whole answer) arrived, and when its last did. */
async function loadPage(gatewayUrl: string, productId: string, deferred: boolean): Promise<PageTiming> {
  const started = performance.now();
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: deferred ? MULTIPART : 'application/json' },
    body: JSON.stringify({ query: deferred ? PRODUCT_PAGE : PRODUCT_PAGE_UNDEFERRED, operationName: 'ProductPage', variables: { id: productId } }),
  });
  let firstMs: number | undefined;
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    // The initial payload is whole once the boundary after it has arrived.
    if (firstMs === undefined && (!deferred || /"hasNext":true[\s\S]*?\r\n---/.test(text))) firstMs = performance.now() - started;
  }
  const lastMs = performance.now() - started;
  const complete = response.ok && text.includes('"boughtTogether"') && text.includes('"reviews"') && !text.includes('"errors"') && (!deferred || text.includes('"hasNext":false'));
  return { firstMs: firstMs ?? lastMs, lastMs, complete };
}

/** `connections` clients loading product pages back to back for `seconds`. */
async function loadPages(gatewayUrl: string, productIds: readonly string[], deferred: boolean, options: { connections: number; seconds: number }): Promise<DeferredPageRun> {
  const timings: PageTiming[] = [];
  const until = performance.now() + options.seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < until) timings.push(await loadPage(gatewayUrl, productIds[next++ % productIds.length]!, deferred));
    }),
  );
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const first = sorted(timings.map((timing) => timing.firstMs));
  const last = sorted(timings.map((timing) => timing.lastMs));
  return {
    pages: timings.length,
    pagesPerSecond: Math.round((timings.length / options.seconds) * 10) / 10,
    incomplete: timings.filter((timing) => !timing.complete).length,
    first: { p50: percentile(first, 0.5), p99: percentile(first, 0.99) },
    last: { p50: percentile(last, 0.5), p99: percentile(last, 0.99) },
  };
}

/**
 * Q5: warm both variants, then `runs` rounds of each, interleaved (the machine's speed drifts). The
 * gateway at `gatewayUrl` must reach orders through startDelayingProxy.
 */
export async function measureDeferredPage(
  gatewayUrl: string,
  productIds: readonly string[],
  options: { connections: number; seconds: number; warmupSeconds: number; runs: number; log: (message: string) => void },
): Promise<DeferredPageResult> {
  const result: DeferredPageResult = { ordersDelayMs: Q5_ORDERS_DELAY_MS, connections: options.connections, seconds: options.seconds, deferred: [], whole: [] };
  for (const deferred of [true, false]) await loadPages(gatewayUrl, productIds, deferred, { connections: options.connections, seconds: options.warmupSeconds });
  for (let run = 1; run <= options.runs; run++) {
    for (const deferred of run % 2 ? [true, false] : [false, true]) {
      const measured = await loadPages(gatewayUrl, productIds, deferred, options);
      (deferred ? result.deferred : result.whole).push(measured);
      options.log(
        `Q5 ${deferred ? 'with @defer' : 'whole'}: run ${run}: ${measured.pagesPerSecond} pages/s, first part p50 ${measured.first.p50} / p99 ${measured.first.p99} ms, last p50 ${measured.last.p50} / p99 ${measured.last.p99} ms, incomplete ${measured.incomplete}`,
      );
    }
  }
  return result;
}

/** Q5 on a fresh (c) gateway whose calls to orders go through a proxy that holds each answer Q5_ORDERS_DELAY_MS. */
export async function runDeferredPage(session: BenchSession): Promise<DeferredPageResult> {
  const { config } = session;
  log(`starting Q5: ProductPage with and without @defer on a fresh (c) gateway, orders ${Q5_ORDERS_DELAY_MS} ms late`);
  const behind = await session.ensureSubgraphs();
  const slowOrders = await startDelayingProxy(behind.orders.url, Q5_ORDERS_DELAY_MS);
  const front = await session.started(session.ourGateway(behind, session.gatewayPorts.greencart, config.gatewayWorkers, { ...session.subgraphUrlsOf(behind), orders: slowOrders.url }));
  try {
    return await measureDeferredPage(front.url, session.fixture.data.productIds.slice(0, 200), {
      connections: config.connections,
      seconds: config.durationSeconds,
      warmupSeconds: config.warmupSeconds,
      runs: config.runs,
      log,
    });
  } finally {
    await session.stop(front);
    await slowOrders.close();
  }
}
