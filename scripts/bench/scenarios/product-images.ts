// I1 of the bench (target `images`, issue 26): product images through (c), against the bench's
// products process. The data set has no images, so originals are uploaded first through the real
// API (createProductImageUpload as an admin, then a PUT of the bytes to the URL it gives), each a
// distinct 1600×1600 JPEG drawn with sharp. Then:
// - warm: a catalogue page's 20 thumbnails (320 px WebP, what the storefront's cards ask for), each
//   made by one request first, then hit at full speed with autocannon: requests/s, p50, p99;
// - cold: the first request of each of N sizes never made (originals × ladder widths × formats),
//   `connections` clients taking the next one in turn: latency p50/p99 and sizes made a second;
// - memory: 50 requests at once, each for a size not made yet of a different original, while the
//   products process's RSS is sampled: its peak, beside the resize limit that is meant to bound it.
import { randomInt, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { median, percentile, residentBytes, sampleRss } from '../common.js';
import { log } from '../harness/log.js';
import type { BenchSession } from '../harness/session.js';

/** Originals uploaded: the memory burst needs 50 different ones, and the other phases reuse them. */
const ORIGINALS = 50;
const ORIGINAL_SIZE = 1600;
/** The storefront's catalogue shows this many products a page… */
const THUMBNAILS = 20;
/** …each at this width and format. */
const THUMBNAIL = { width: 320, format: 'WEBP' } as const;
/** The size the memory burst asks of every original: wide enough that each resize decodes the whole original. */
const BURST = { width: 1280, format: 'WEBP' } as const;
/** The width ladder as it applies to a 1600 px original (products' offeredWidths: the steps below it, and its own width). */
const WIDTHS = [160, 320, 640, 960, 1280, 1600] as const;
const FORMATS = ['WEBP', 'AVIF', 'JPEG'] as const;
type Format = (typeof FORMATS)[number];
const CONTENT_TYPES: Record<Format, string> = { WEBP: 'image/webp', AVIF: 'image/avif', JPEG: 'image/jpeg' };

const CREATE_UPLOAD = `mutation BenchImageUpload($input: CreateProductImageUploadInput!) {
  createProductImageUpload(input: $input) { upload { url method headers { name value } } userErrors { code message } }
}`;
/** Every width of a product's featured image in one format, in one request (aliases `w<width>`: six, under the gateway's limit of 15). */
const imageUrls = (format: Format) =>
  `query BenchImageUrls($id: ID!) { product(id: $id) { featuredImage { id ${WIDTHS.map((width) => `w${width}: url(width: ${width}, format: ${format})`).join(' ')} } } }`;

export interface ImageLoadRun {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export interface ProductImagesResult {
  originals: { count: number; width: number; height: number; format: 'JPEG'; meanBytes: number; uploadSeconds: number };
  /** Products' IMAGE_RESIZE_CONCURRENCY, as the products process was started with it. */
  resizeConcurrency: number;
  connections: number;
  warm: { urls: number; width: number; format: string; seconds: number; runs: ImageLoadRun[]; median: { rps: number; p50: number; p99: number } };
  cold: { sizes: number; sizesPerSecond: number; p50: number; p99: number; max: number; failed: number; failures: Record<string, number>; byFormat: Record<Format, { sizes: number; p50: number }> };
  memory: {
    concurrentRequests: number;
    width: number;
    format: string;
    seconds: number;
    failed: number;
    failures: Record<string, number>;
    rssBeforeBytes: number;
    peakRssBytes: number;
    exactPeak: boolean;
  };
}

/** Grain over every original (raw pixels, made once: drawing noise 50 times took most of a minute on a busy machine). */
const makeGrain = () =>
  sharp({ create: { width: ORIGINAL_SIZE, height: ORIGINAL_SIZE, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 18 } } })
    .raw()
    .toBuffer();

/** A distinct picture per index: a gradient, circles and a little grain, so each original encodes (and decodes) like a photo, not a flat colour. */
async function originalPicture(index: number, grain: Buffer): Promise<Buffer> {
  const hue = (index * 137) % 360;
  const circles = Array.from({ length: 12 }, (_, i) => {
    const x = (index * 211 + i * 397) % ORIGINAL_SIZE;
    const y = (index * 173 + i * 251) % ORIGINAL_SIZE;
    return `<circle cx="${x}" cy="${y}" r="${80 + ((index + i * 53) % 260)}" fill="hsl(${(hue + i * 29) % 360},65%,${35 + (i % 5) * 9}%)" fill-opacity="0.7"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${ORIGINAL_SIZE}" height="${ORIGINAL_SIZE}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},55%,70%)"/><stop offset="1" stop-color="hsl(${(hue + 90) % 360},50%,30%)"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>${circles}</svg>`;
  return sharp(Buffer.from(svg))
    .composite([{ input: grain, raw: { width: ORIGINAL_SIZE, height: ORIGINAL_SIZE, channels: 3 }, blend: 'soft-light' }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function graphql(gatewayUrl: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Record<string, any>> {
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (!response.ok || answer.errors || !answer.data) throw new Error(`I1: ${response.status} ${JSON.stringify(answer).slice(0, 500)}`);
  return answer.data;
}

/** One original uploaded as an admin would: an upload URL from the API, then the bytes PUT to it. */
async function uploadOriginal(gatewayUrl: string, adminToken: string, productId: string, bytes: Buffer): Promise<void> {
  const input = { productId, contentType: 'image/jpeg', byteSize: bytes.length };
  const { createProductImageUpload: created } = await graphql(gatewayUrl, CREATE_UPLOAD, { input }, adminToken);
  if (!created.upload) throw new Error(`I1: upload refused: ${JSON.stringify(created.userErrors)}`);
  const upload = created.upload as { url: string; method: string; headers: { name: string; value: string }[] };
  const headers = Object.fromEntries(upload.headers.map((header) => [header.name, header.value]));
  const answer = await fetch(upload.url, { method: upload.method, headers, body: new Uint8Array(bytes) });
  if (answer.status !== 201) throw new Error(`I1: PUT ${upload.url}: ${answer.status} ${(await answer.text()).slice(0, 300)}`);
}

/** One GET of an image: its time, and whether it came as the format asked (else what came: a status, `wrong type` or `error`). */
async function fetchImage(url: string, format: Format): Promise<{ ok: boolean; ms: number; outcome: string }> {
  const started = performance.now();
  try {
    const response = await fetch(url);
    const bytes = await response.arrayBuffer();
    const ok = response.status === 200 && response.headers.get('content-type') === CONTENT_TYPES[format] && bytes.byteLength > 0;
    return { ok, ms: performance.now() - started, outcome: ok ? 'ok' : response.status === 200 ? 'wrong type' : String(response.status) };
  } catch {
    return { ok: false, ms: performance.now() - started, outcome: 'error' };
  }
}

/** Failed requests counted by what they got (`{ "504": 3 }`). */
function failuresOf(requests: { ok: boolean; outcome: string }[]): Record<string, number> {
  const failures: Record<string, number> = {};
  for (const request of requests) if (!request.ok) failures[request.outcome] = (failures[request.outcome] ?? 0) + 1;
  return failures;
}
const describeFailures = (failed: number, failures: Record<string, number>) =>
  failed === 0
    ? '0'
    : `${failed} (${Object.entries(failures)
        .map(([outcome, count]) => `${outcome} ×${count}`)
        .join(', ')})`;

/** Fisher–Yates, so that cold sizes come in no order the products process could take advantage of. */
function shuffled<T>(values: T[]): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

export async function measureProductImages(
  gatewayUrl: string,
  options: {
    adminToken: string;
    /** Products to give a picture each (ORIGINALS of them). */
    productIds: readonly string[];
    productsPid: number;
    resizeConcurrency: number;
    coldSizes: number;
    connections: number;
    seconds: number;
    warmupSeconds: number;
    runs: number;
    log: (message: string) => void;
  },
): Promise<ProductImagesResult> {
  const { log } = options;
  const productIds = options.productIds.slice(0, ORIGINALS);
  if (productIds.length < ORIGINALS) throw new Error(`I1 needs ${ORIGINALS} products, not ${productIds.length}`);

  // Drawn before the clock starts: the upload time is the API's, not sharp's here.
  const drawStarted = performance.now();
  const grain = await makeGrain();
  const pictures = await Promise.all(productIds.map((_, index) => originalPicture(index, grain)));
  log(`I1: ${pictures.length} originals drawn in ${((performance.now() - drawStarted) / 1000).toFixed(1)} s`);
  const uploadStarted = performance.now();
  for (const [index, productId] of productIds.entries()) await uploadOriginal(gatewayUrl, options.adminToken, productId, pictures[index]!);
  const uploadSeconds = Math.round((performance.now() - uploadStarted) / 100) / 10;
  const meanBytes = Math.round(pictures.reduce((sum, bytes) => sum + bytes.length, 0) / pictures.length);
  log(`I1: ${ORIGINALS} originals of ${ORIGINAL_SIZE}×${ORIGINAL_SIZE} JPEG (${Math.round(meanBytes / 1024)} KiB on average) uploaded in ${uploadSeconds} s`);

  // Each original's URLs, by width and format: the API's own, under the gateway.
  const urls = await Promise.all(
    productIds.map(async (id) => {
      const byFormat = {} as Record<Format, Record<string, string>>;
      for (const format of FORMATS) {
        const { product } = await graphql(gatewayUrl, imageUrls(format), { id });
        if (!product?.featuredImage) throw new Error(`I1: product ${id} has no featured image after its upload`);
        byFormat[format] = product.featuredImage as Record<string, string>;
      }
      return (width: number, format: Format) => byFormat[format][`w${width}`]!;
    }),
  );

  // Warm: the thumbnails made once each, then at full speed.
  const thumbnails = urls.slice(0, THUMBNAILS).map((urlOf) => urlOf(THUMBNAIL.width, THUMBNAIL.format));
  for (const url of thumbnails) {
    const first = await fetchImage(url, THUMBNAIL.format);
    if (!first.ok) throw new Error(`I1: ${url} did not answer a ${THUMBNAIL.format} image`);
  }
  const paths = thumbnails.map((url) => new URL(url).pathname);
  const hammer = (seconds: number) =>
    autocannon({
      url: gatewayUrl,
      connections: options.connections,
      duration: seconds,
      requests: [{ setupRequest: (request) => ({ ...request, method: 'GET', path: paths[randomInt(paths.length)]! }) }],
    });
  log(`I1 warm: ${THUMBNAILS} thumbnails, warm-up ${options.warmupSeconds} s`);
  await hammer(options.warmupSeconds);
  const warmRuns: ImageLoadRun[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const result = await hammer(options.seconds);
    const measured = { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
    log(`I1 warm: run ${run}: ${measured.rps.toFixed(0)} req/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms, non-2xx ${measured.non2xx}, errors ${measured.errors}`);
    warmRuns.push(measured);
  }
  // autocannon returns with requests in flight: let them finish before the cold phase's clock.
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  // Cold: sizes no request has asked for yet (neither the thumbnails nor the burst's size), spread over the originals.
  const unmade = shuffled(
    urls.flatMap((urlOf, index) =>
      WIDTHS.flatMap((width) =>
        FORMATS.filter((format) => !(width === BURST.width && format === BURST.format) && !(index < THUMBNAILS && width === THUMBNAIL.width && format === THUMBNAIL.format)).map((format) => ({
          url: urlOf(width, format),
          format,
        })),
      ),
    ),
  ).slice(0, options.coldSizes);
  log(`I1 cold: the first request of ${unmade.length} sizes, ${options.connections} clients`);
  const cold: { format: Format; ok: boolean; ms: number; outcome: string }[] = [];
  let next = 0;
  const coldStarted = performance.now();
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (next < unmade.length) {
        const size = unmade[next++]!;
        cold.push({ format: size.format, ...(await fetchImage(size.url, size.format)) });
      }
    }),
  );
  const coldSeconds = (performance.now() - coldStarted) / 1000;
  const sortedMs = (values: number[]) => values.sort((a, b) => a - b);
  const coldMs = sortedMs(cold.map((request) => request.ms));
  const byFormat = Object.fromEntries(
    FORMATS.map((format) => {
      const times = sortedMs(cold.filter((request) => request.format === format).map((request) => request.ms));
      return [format, { sizes: times.length, p50: percentile(times, 0.5) }];
    }),
  ) as Record<Format, { sizes: number; p50: number }>;
  const coldResult = {
    sizes: cold.length,
    sizesPerSecond: Math.round((cold.length / coldSeconds) * 10) / 10,
    p50: percentile(coldMs, 0.5),
    p99: percentile(coldMs, 0.99),
    max: Math.round((coldMs.at(-1) ?? NaN) * 10) / 10,
    failed: cold.filter((request) => !request.ok).length,
    failures: failuresOf(cold),
    byFormat,
  };
  log(`I1 cold: ${coldResult.sizesPerSecond} sizes/s, p50 ${coldResult.p50} ms, p99 ${coldResult.p99} ms, failed ${describeFailures(coldResult.failed, coldResult.failures)}`);

  // Memory: every original at once, at a size none has yet.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rssBeforeBytes = residentBytes(options.productsPid);
  const sampler = sampleRss({ products: options.productsPid }, 50);
  if (!sampler) throw new Error("I1 reads the products process's memory from /proc, which this system lacks");
  const burstStarted = performance.now();
  const burst = await Promise.all(urls.map((urlOf) => fetchImage(urlOf(BURST.width, BURST.format), BURST.format)));
  const burstSeconds = Math.round((performance.now() - burstStarted) / 100) / 10;
  const rss = sampler.stop();
  const memory = {
    concurrentRequests: burst.length,
    width: BURST.width,
    format: BURST.format,
    seconds: burstSeconds,
    failed: burst.filter((request) => !request.ok).length,
    failures: failuresOf(burst),
    rssBeforeBytes,
    peakRssBytes: rss.peakBytes.products!,
    exactPeak: rss.exactPeaks,
  };
  log(
    `I1 memory: ${burst.length} resizes asked at once (limit ${options.resizeConcurrency}), done in ${burstSeconds} s, failed ${describeFailures(memory.failed, memory.failures)}; products RSS ${mib(memory.rssBeforeBytes)} → peak ${mib(memory.peakRssBytes)} MiB`,
  );

  return {
    originals: { count: ORIGINALS, width: ORIGINAL_SIZE, height: ORIGINAL_SIZE, format: 'JPEG', meanBytes, uploadSeconds },
    resizeConcurrency: options.resizeConcurrency,
    connections: options.connections,
    warm: {
      urls: THUMBNAILS,
      width: THUMBNAIL.width,
      format: THUMBNAIL.format,
      seconds: options.seconds,
      runs: warmRuns,
      median: { rps: median(warmRuns.map((run) => run.rps)), p50: median(warmRuns.map((run) => run.p50)), p99: median(warmRuns.map((run) => run.p99)) },
    },
    cold: coldResult,
    memory,
  };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** I1's figures as markdown. */
export function productImagesMarkdown(i1: ProductImagesResult): string {
  const { warm, cold, memory } = i1;
  return [
    `I1: product images through (c) from the bench's products process: ${i1.originals.count} originals of ${i1.originals.width}×${i1.originals.height} JPEG (${Math.round(i1.originals.meanBytes / 1024)} KiB on average) uploaded through the API; products' resize limit (IMAGE_RESIZE_CONCURRENCY) ${i1.resizeConcurrency}.`,
    '',
    '| I1 (c) | Requests | Requests/s | p50 / p99 (ms) | Failed |',
    '|---|---:|---:|---:|---:|',
    `| warm: ${warm.urls} thumbnails (${warm.width} px ${warm.format}, made before), ${i1.connections} connections, ${warm.seconds} s a run | ${warm.runs.length} run(s) | ${Math.round(warm.median.rps)} (${warm.runs.map((run) => Math.round(run.rps)).join(', ')}) | ${warm.median.p50} / ${warm.median.p99} | ${warm.runs.reduce((sum, run) => sum + run.non2xx + run.errors, 0)} |`,
    `| cold: the first request of each size (${FORMATS.map((format) => `${cold.byFormat[format].sizes} ${format}, p50 ${cold.byFormat[format].p50} ms`).join('; ')}), ${i1.connections} clients | ${cold.sizes} | ${cold.sizesPerSecond} | ${cold.p50} / ${cold.p99} | ${describeFailures(cold.failed, cold.failures)} |`,
    '',
    `A failure is counted by the status the gateway answered; a 502 is the gateway's forward giving up at its subgraph timeout (15 s in the bench, production's SUBGRAPH_TIMEOUT_MS 10 s by default) while the request waited for its resize.`,
    '',
    '| I1 memory | Requests at once | Resize limit | Done in (s) | Products RSS before (MiB) | Peak RSS (MiB) | Failed |',
    '|---|---:|---:|---:|---:|---:|---:|',
    `| ${memory.concurrentRequests} originals, each at ${memory.width} px ${memory.format} (not made before) | ${memory.concurrentRequests} | ${i1.resizeConcurrency} | ${memory.seconds} | ${mib(memory.rssBeforeBytes)} | ${mib(memory.peakRssBytes)}${memory.exactPeak ? '' : ' (sampled)'} | ${describeFailures(memory.failed, memory.failures)} |`,
  ].join('\n');
}

/** I1 on a fresh (c) gateway, against the bench's products process and its resize limit. */
export async function runProductImages(session: BenchSession): Promise<ProductImagesResult> {
  const { config } = session;
  log(`starting I1: product images on a fresh (c) gateway, products' resize limit ${session.imageResizeConcurrency}`);
  const behind = await session.ensureSubgraphs();
  const front = await session.started(session.ourGateway(behind, session.gatewayPorts.greencart, config.gatewayWorkers));
  const began = performance.now();
  try {
    const adminToken = await session.issuer.issue({ id: randomUUID(), role: 'ADMIN' });
    // Products from the end of the data set: not on the catalogue's first page, nor the hot products of M1.
    const result = await measureProductImages(front.url, {
      adminToken,
      productIds: session.fixture.data.productIds.slice(-50),
      productsPid: behind.products.child.pid!,
      resizeConcurrency: session.imageResizeConcurrency,
      coldSizes: config.i1ColdSizes,
      connections: config.connections,
      seconds: config.durationSeconds,
      warmupSeconds: config.warmupSeconds,
      runs: config.runs,
      log,
    });
    log(`I1 took ${((performance.now() - began) / 1000).toFixed(0)} s`);
    return result;
  } finally {
    await session.stop(front);
  }
}
