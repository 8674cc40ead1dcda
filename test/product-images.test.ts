import { randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import postgres from 'postgres';
import sharp from 'sharp';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { dropDatabase, SERVICE_TOKEN_HEADER } from '@greencart/platform';
import { prepareProductsDatabase, seedDemoCatalogue } from '@greencart/products';
import { demoCatalogue } from '../subgraphs/products/src/seed/demo-catalogue.js';
import { subscriptionsOpen } from './support/live-updates.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// Product images as the contract's "Product images" section promises, through the gateway: an
// admin's one-time upload URL, the bytes checked for what they are and stored without metadata,
// each size on the width ladder served in WebP, AVIF and JPEG with immutable caching, order and
// alt text, removal, live updates, and the demo catalogue's pictures.

let supergraph: TestSupergraph;
let adminToken: string;
let customer: { token: string };
let categoryId: string;
let productsDb: postgres.Sql;

beforeAll(async () => {
  // Few may wait for a resize, so that one test's burst of new sizes passes it.
  supergraph = await startSupergraph({ imageResizesWaiting: 8 });
  adminToken = await supergraph.adminToken();
  customer = await supergraph.registerCustomer();
  categoryId = (await supergraph.data('{ categories { id } }')).categories[0].id;
  productsDb = postgres(supergraph.databaseUrls.products, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await productsDb?.end();
  await supergraph?.stop();
});

// ------------------------------------------------------------------ documents and helpers

const LADDER = [160, 320, 640, 960, 1280, 1920];
const FORMATS = [
  { api: 'WEBP', contentType: 'image/webp', sharpFormat: 'webp' },
  { api: 'AVIF', contentType: 'image/avif', sharpFormat: 'heif' },
  { api: 'JPEG', contentType: 'image/jpeg', sharpFormat: 'jpeg' },
] as const;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const MiB = 1024 * 1024;

const USER_ERRORS = 'userErrors { field message code }';
const IMAGE_FIELDS = 'id altText width height url';
const CREATE_UPLOAD = `mutation($input: CreateProductImageUploadInput!) {
  createProductImageUpload(input: $input) { upload { url method headers { name value } expiresAt } ${USER_ERRORS} }
}`;
const UPDATE_IMAGE = `mutation($id: ID!, $input: UpdateProductImageInput!) {
  updateProductImage(id: $id, input: $input) { image { ${IMAGE_FIELDS} } product { id featuredImage { id } } ${USER_ERRORS} }
}`;
const REMOVE_IMAGE = `mutation($id: ID!) { removeProductImage(id: $id) { removedImageId product { id images { id } } ${USER_ERRORS} } }`;
const IMAGES_OF = `query($id: ID!) { product(id: $id) { id images { ${IMAGE_FIELDS} } featuredImage { ${IMAGE_FIELDS} } } }`;

interface Ticket {
  url: string;
  method: string;
  headers: Array<{ name: string; value: string }>;
  expiresAt: string;
}
interface ImageView {
  id: string;
  altText: string;
  width: number;
  height: number;
  url: string;
}

async function createProduct(name = 'Pictured oats'): Promise<string> {
  const data = await supergraph.data(
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } ${USER_ERRORS} } }`,
    { input: { sku: `IMG-${randomUUID().slice(0, 8)}`, name, price: '4.50', stock: 5, categoryId } },
    { token: adminToken },
  );
  expect(data.createProduct.userErrors).toEqual([]);
  return data.createProduct.product.id;
}

async function createUpload(input: Record<string, unknown>, token: string | null = adminToken) {
  return supergraph.request(CREATE_UPLOAD, { input }, { token: token ?? undefined });
}

/** A fresh upload URL for `bytes` declared as `contentType` (and `byteSize`, by default their length). */
async function ticketFor(productId: string, contentType: string, byteSize: number, altText?: string): Promise<Ticket> {
  const { data, errors } = await createUpload({ productId, contentType, byteSize, altText });
  expect(errors).toBeUndefined();
  expect(data.createProductImageUpload.userErrors).toEqual([]);
  return data.createProductImageUpload.upload;
}

/** Sends bytes as the ticket says (its method, URL and headers), as a browser would. */
async function send(ticket: Ticket, bytes: Buffer, extraHeaders: Record<string, string> = {}) {
  const headers = Object.fromEntries(ticket.headers.map((header) => [header.name, header.value]));
  const response = await fetch(ticket.url, { method: ticket.method, headers: { ...headers, ...extraHeaders }, body: new Uint8Array(bytes) });
  return { status: response.status, body: (await response.json()) as { errors?: Array<{ message: string; extensions: { code: string } }>; image?: { id: string } } };
}

async function uploadImage(productId: string, bytes: Buffer, contentType: string, altText?: string): Promise<string> {
  const answer = await send(await ticketFor(productId, contentType, bytes.length, altText), bytes);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.image!.id;
}

async function imagesOf(productId: string): Promise<{ images: ImageView[]; featuredImage: ImageView | null }> {
  return (await supergraph.data(IMAGES_OF, { id: productId })).product;
}

/** The image's URLs at each width asked for, in one format. */
async function urlsOf(productId: string, imageId: string, format: string, widths: Array<number | null>): Promise<string[]> {
  const aliases = widths.map((width, index) => `u${index}: url(${width === null ? '' : `width: ${width}, `}format: ${format})`).join(' ');
  const { product } = await supergraph.data(`query($id: ID!) { product(id: $id) { images { id ${aliases} } } }`, { id: productId });
  const image = product.images.find((candidate: { id: string }) => candidate.id === imageId);
  return widths.map((_, index) => image[`u${index}`]);
}

/** How many images the products database holds for a product: what "nothing stored" is checked against. */
const storedImageCount = async (productId: string) => Number((await productsDb`select count(*) as count from product_images where product_id = ${productId}`)[0]!.count);

const refusalOf = (answer: { body: { errors?: Array<{ extensions: { code: string } }> } }) => answer.body.errors?.[0]?.extensions.code;

// Test images, made here with sharp.
const solid = (width: number, height: number, colour = { r: 120, g: 180, b: 90 }) => sharp({ create: { width, height, channels: 3, background: colour } });
/** A JPEG whose EXIF names a camera owner and a GPS position: what must never be served. */
const jpegWithExifAndGps = () =>
  solid(2000, 1500)
    .jpeg({ quality: 80 })
    .withExif({
      IFD0: { Artist: 'Secret Photographer', ImageDescription: 'taken at home' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 2600/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3900/100' },
    })
    .toBuffer();
const png = (width = 700, height = 500) => solid(width, height, { r: 200, g: 90, b: 60 }).png().toBuffer();
const webp = () => solid(400, 300, { r: 60, g: 90, b: 200 }).webp().toBuffer();
const avif = () => solid(330, 200, { r: 230, g: 200, b: 40 }).avif({ effort: 0 }).toBuffer();

/** A real 1 × 1 PNG whose header is rewritten to say 100,000 × 100,000 pixels: ten gigapixels to decode, in 70 bytes. */
async function decompressionBomb(): Promise<Buffer> {
  const bytes = Buffer.from(await solid(1, 1).png().toBuffer());
  // IHDR: length (8), type (12), width (16), height (20), …, CRC over type and data (29).
  bytes.writeUInt32BE(100_000, 16);
  bytes.writeUInt32BE(100_000, 20);
  bytes.writeUInt32BE(crc32(bytes.subarray(12, 29)), 29);
  return bytes;
}

async function fetchImage(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

// ------------------------------------------------------------------ uploads and sizes

describe('uploading an image', () => {
  it('stores a JPEG, PNG, WebP and AVIF, and serves each at every ladder width up to its own in WebP, AVIF and JPEG, without the EXIF and GPS it came with', async () => {
    const productId = await createProduct();
    const uploads = [
      { bytes: await jpegWithExifAndGps(), contentType: 'image/jpeg', width: 2000, height: 1500 },
      { bytes: await png(), contentType: 'image/png', width: 700, height: 500 },
      { bytes: await webp(), contentType: 'image/webp', width: 400, height: 300 },
      { bytes: await avif(), contentType: 'image/avif', width: 330, height: 200 },
    ];
    // What the JPEG carries, so that its absence below means something.
    expect((await sharp(uploads[0]!.bytes).metadata()).exif).toBeDefined();
    expect(uploads[0]!.bytes.includes('Secret Photographer')).toBe(true);

    const ids: string[] = [];
    for (const upload of uploads) ids.push(await uploadImage(productId, upload.bytes, upload.contentType, `A ${upload.contentType} picture`));
    const { images, featuredImage } = await imagesOf(productId);
    expect(images.map((image) => [image.id, image.width, image.height, image.altText])).toEqual(
      uploads.map((upload, index) => [ids[index], upload.width, upload.height, `A ${upload.contentType} picture`]),
    );
    expect(featuredImage?.id).toBe(ids[0]);

    for (const [index, upload] of uploads.entries()) {
      const widths = [...LADDER.filter((step) => step < upload.width), upload.width];
      for (const format of FORMATS) {
        const urls = await urlsOf(productId, ids[index]!, format.api, widths);
        for (const [widthIndex, url] of urls.entries()) {
          expect(url.startsWith(`${supergraph.gatewayUrl}/images/${ids[index]}/`), url).toBe(true);
          const { response, bytes } = await fetchImage(url);
          expect(response.status, url).toBe(200);
          expect(response.headers.get('content-type'), url).toBe(format.contentType);
          expect(response.headers.get('cache-control')).toBe(IMMUTABLE);
          expect(response.headers.get('etag')).toMatch(/^"[^"]+"$/);
          const metadata = await sharp(bytes).metadata();
          expect([metadata.format, metadata.width], url).toEqual([format.sharpFormat, widths[widthIndex]]);
          expect(metadata.exif, url).toBeUndefined();
          expect(bytes.includes('Secret Photographer'), url).toBe(false);
          expect(bytes.includes('taken at home'), url).toBe(false);
        }
      }
    }
  });

  it('serves a width between ladder steps from the next step up, wider than the original as the original, and refuses a URL for a width off the ladder', async () => {
    const productId = await createProduct();
    const imageId = await uploadImage(productId, await png(1000, 800), 'image/png');
    const [between, wider, original, smallest] = await urlsOf(productId, imageId, 'WEBP', [500, 5000, null, 1]);
    expect(between).toMatch(/\/640\.webp$/);
    expect(wider).toMatch(/\/1000\.webp$/);
    expect(original).toMatch(/\/1000\.webp$/);
    expect(smallest).toMatch(/\/160\.webp$/);
    const offLadder = await fetch(between!.replace('/640.webp', '/500.webp'));
    expect(offLadder.status).toBe(404);
    expect(((await offLadder.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('NOT_FOUND');
    expect((await fetch(between!.replace('/640.webp', '/1280.webp'))).status).toBe(404);
    const zero = await supergraph.request(`query($id: ID!) { product(id: $id) { images { url(width: 0) } } }`, { id: productId });
    expect(zero.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers 304 to If-None-Match of the current ETag, and 404 for a URL of another version of the image', async () => {
    const productId = await createProduct();
    const imageId = await uploadImage(productId, await webp(), 'image/webp');
    const [url] = await urlsOf(productId, imageId, 'JPEG', [320]);
    const first = await fetchImage(url!);
    const etag = first.response.headers.get('etag')!;
    const again = await fetchImage(url!, { 'if-none-match': etag });
    expect(again.response.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.response.headers.get('etag')).toBe(etag);
    expect(again.response.headers.get('cache-control')).toBe(IMMUTABLE);
    expect((await fetchImage(url!, { 'if-none-match': '"something-else"' })).response.status).toBe(200);
    const otherVersion = url!.replace(/\/images\/([^/]+)\/[0-9a-f]+\//, '/images/$1/00000000000000000000/');
    expect((await fetch(otherVersion)).status).toBe(404);
    // Nothing but the route's own shape reaches products: no traversal, no other path.
    for (const path of ['/images/..%2F..%2Fgraphql/a/b.webp', `/images/${imageId}/%2e%2e/320.jpg`, `/images/${imageId}/x/..%2F..%2Fevents`, `/images/${imageId}/abc/.webp`]) {
      expect((await fetch(`${supergraph.gatewayUrl}${path}`)).status, path).toBe(404);
    }
  });

  it('makes a size once however many requests race for it', async () => {
    const productId = await createProduct();
    const imageId = await uploadImage(productId, await png(), 'image/png');
    const [url] = await urlsOf(productId, imageId, 'AVIF', [640]);
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetchImage(url!)));
    expect(answers.map((answer) => answer.response.status)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((answer) => answer.bytes.toString('base64'))).size).toBe(1);
    const made = supergraph.logs.filter((line) => line.includes('made an image variant') && line.includes(imageId) && line.includes('"width":640') && line.includes('"format":"avif"'));
    expect(made).toHaveLength(1);
  });

  it('answers a burst of new sizes past what may wait for a resize with 503 and Retry-After at once, never a timeout, and serves those sizes when asked again', async () => {
    const productId = await createProduct();
    const imageIds = [await uploadImage(productId, await png(), 'image/png'), await uploadImage(productId, await png(), 'image/png'), await uploadImage(productId, await png(), 'image/png')];
    // Every size of three 700-pixel originals: 4 widths × 3 formats each, none made yet.
    const urls = (await Promise.all(imageIds.flatMap((imageId) => ['WEBP', 'AVIF', 'JPEG'].map((format) => urlsOf(productId, imageId, format, [160, 320, 640, null]))))).flat();
    const answers = await Promise.all(urls.map(async (url) => ({ url, ...(await fetchImage(url)) })));
    const statuses = answers.map((answer) => answer.response.status);
    const busy = answers.filter((answer) => answer.response.status === 503);
    console.info(`${urls.length} new sizes asked for at once: ${statuses.filter((status) => status === 200).length} served, ${busy.length} answered 503 (resize limit 2, 8 may wait)`);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(10);
    expect(busy.length).toBeGreaterThan(0);
    for (const answer of busy) {
      expect(answer.response.headers.get('retry-after')).toBe('1');
      expect(answer.response.headers.get('cache-control')).toBe('no-store');
      expect(JSON.parse(answer.bytes.toString()).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    }
    // Asked again once the burst has passed, a size refused in it is made and served.
    for (const answer of busy.slice(0, 3)) expect((await fetchImage(answer.url)).response.status, answer.url).toBe(200);
  });

  it('turns an image upright by its EXIF orientation before the orientation is dropped', async () => {
    const productId = await createProduct();
    const sideways = await solid(600, 400).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const imageId = await uploadImage(productId, sideways, 'image/jpeg');
    const { images } = await imagesOf(productId);
    expect(images.find((image) => image.id === imageId)).toMatchObject({ width: 400, height: 600 });
    const [url] = await urlsOf(productId, imageId, 'JPEG', [null]);
    const metadata = await sharp((await fetchImage(url!)).bytes).metadata();
    expect([metadata.width, metadata.height, metadata.orientation]).toEqual([400, 600, undefined]);
  });
});

describe('refused uploads', () => {
  it('refuses at creation a type outside the four, a size over 10 MiB or under 1 byte, an unknown product, and callers who are not admins', async () => {
    const productId = await createProduct();
    const gif = (await createUpload({ productId, contentType: 'image/gif', byteSize: 1000 })).data.createProductImageUpload;
    expect(gif).toEqual({ upload: null, userErrors: [{ field: 'contentType', code: 'INVALID_INPUT', message: expect.stringContaining('image/jpeg') }] });
    const huge = (await createUpload({ productId, contentType: 'image/jpeg', byteSize: 10 * MiB + 1 })).data.createProductImageUpload;
    expect(huge).toEqual({ upload: null, userErrors: [{ field: 'byteSize', code: 'INVALID_INPUT', message: expect.stringContaining('10 MiB') }] });
    const empty = (await createUpload({ productId, contentType: 'image/png', byteSize: 0 })).data.createProductImageUpload;
    expect(empty.userErrors.map((error: { field: string }) => error.field)).toEqual(['byteSize']);
    const unknown = (await createUpload({ productId: randomUUID(), contentType: 'image/png', byteSize: 1000 })).data.createProductImageUpload;
    expect(unknown.userErrors).toEqual([{ field: 'productId', code: 'NOT_FOUND', message: expect.any(String) }]);
    expect((await createUpload({ productId, contentType: 'image/png', byteSize: 1000 }, customer.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await createUpload({ productId, contentType: 'image/png', byteSize: 1000 }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await storedImageCount(productId)).toBe(0);
  });

  it("gives a PUT URL under the gateway's public address, with the declared Content-Type, that works for 15 minutes", async () => {
    const productId = await createProduct();
    const before = Date.now();
    const ticket = await ticketFor(productId, 'image/png', 1234);
    expect(ticket.method).toBe('PUT');
    expect(ticket.url.startsWith(`${supergraph.gatewayUrl}/image-uploads/`)).toBe(true);
    expect(ticket.headers).toEqual([{ name: 'Content-Type', value: 'image/png' }]);
    const lifetime = Date.parse(ticket.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(14 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(15 * 60_000 + 1_000);
  });

  it('refuses at upload, with a coded JSON error and nothing stored, bytes that are no image, a PNG declared as JPEG, a decompression bomb, more bytes than declared and a truncated image; the URL still works for the right bytes', async () => {
    const productId = await createProduct();
    const notAnImage = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const pngBytes = await png(300, 200);
    const bomb = await decompressionBomb();
    const noisy = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .png()
      .toBuffer();
    const truncated = noisy.subarray(0, Math.floor(noisy.length / 2));
    expect((await sharp(bomb, { limitInputPixels: false }).metadata()).width).toBe(100_000);
    const cases: Array<{ name: string; contentType: string; declared: number; bytes: Buffer; status: number; code: string }> = [
      { name: 'not an image', contentType: 'image/png', declared: notAnImage.length, bytes: notAnImage, status: 415, code: 'NOT_AN_IMAGE' },
      { name: 'a PNG declared as JPEG', contentType: 'image/jpeg', declared: pngBytes.length, bytes: pngBytes, status: 415, code: 'CONTENT_TYPE_MISMATCH' },
      { name: 'a decompression bomb', contentType: 'image/png', declared: bomb.length, bytes: bomb, status: 413, code: 'IMAGE_TOO_MANY_PIXELS' },
      { name: 'more bytes than declared', contentType: 'image/png', declared: 100, bytes: pngBytes, status: 413, code: 'UPLOAD_LARGER_THAN_DECLARED' },
      { name: 'a PNG cut in half (its header whole)', contentType: 'image/png', declared: truncated.length, bytes: truncated, status: 400, code: 'IMAGE_UNREADABLE' },
    ];
    for (const refusal of cases) {
      const ticket = await ticketFor(productId, refusal.contentType, refusal.declared);
      const answer = await send(ticket, refusal.bytes);
      expect([answer.status, refusalOf(answer)], refusal.name).toEqual([refusal.status, refusal.code]);
      expect(answer.body.errors![0]!.message, refusal.name).toEqual(expect.any(String));
      expect(await storedImageCount(productId), refusal.name).toBe(0);
    }
    // A refusal does not use the URL up: the right bytes may still be sent to it.
    const ticket = await ticketFor(productId, 'image/png', pngBytes.length);
    expect(refusalOf(await send(ticket, notAnImage))).toBe('NOT_AN_IMAGE');
    expect((await send(ticket, pngBytes)).status).toBe(201);
    expect(await storedImageCount(productId)).toBe(1);
  });

  it('refuses bytes sent with another Content-Type than declared', async () => {
    const productId = await createProduct();
    const bytes = await png(200, 200);
    const answer = await send(await ticketFor(productId, 'image/png', bytes.length), bytes, { 'Content-Type': 'application/octet-stream' });
    expect([answer.status, refusalOf(answer)]).toEqual([415, 'CONTENT_TYPE_MISMATCH']);
    expect(await storedImageCount(productId)).toBe(0);
  });

  it('refuses bytes for a product archived since the URL was given, and stores nothing', async () => {
    const productId = await createProduct();
    const bytes = await png(200, 200);
    const ticket = await ticketFor(productId, 'image/png', bytes.length);
    await supergraph.data(`mutation($id: ID!) { deleteProduct(id: $id) { userErrors { code } } }`, { id: productId }, { token: adminToken });
    const answer = await send(ticket, bytes);
    expect([answer.status, refusalOf(answer)]).toEqual([404, 'PRODUCT_NOT_FOUND']);
    expect(await storedImageCount(productId)).toBe(0);
    expect((await productsDb`select used_at from product_image_uploads where product_id = ${productId}`)[0]!.used_at).toBeNull();
  });

  it('lets a browser app on an allowed origin send an upload across origins (CORS preflight for PUT)', async () => {
    const productId = await createProduct();
    const bytes = await png(120, 120);
    const ticket = await ticketFor(productId, 'image/png', bytes.length);
    const origin = 'http://localhost:5173';
    const preflight = await fetch(ticket.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('PUT');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    const answer = await fetch(ticket.url, { method: 'PUT', headers: { origin, 'content-type': 'image/png' }, body: new Uint8Array(bytes) });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
    const elsewhere = await fetch(ticket.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' } });
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('takes a URL once: a second use, even racing the first, is refused and stores nothing more', async () => {
    const productId = await createProduct();
    const bytes = await webp();
    const ticket = await ticketFor(productId, 'image/webp', bytes.length);
    const racing = await Promise.all([send(ticket, bytes), send(ticket, bytes), send(ticket, bytes)]);
    expect(racing.map((answer) => answer.status).sort()).toEqual([201, 409, 409]);
    expect(racing.filter((answer) => answer.status === 409).map(refusalOf)).toEqual(['UPLOAD_URL_USED', 'UPLOAD_URL_USED']);
    const again = await send(ticket, bytes);
    expect([again.status, refusalOf(again)]).toEqual([409, 'UPLOAD_URL_USED']);
    expect(await storedImageCount(productId)).toBe(1);
  });

  it("refuses an expired URL, a URL with a forged token (a customer's bearer token changes nothing), and an upload that skips the gateway", async () => {
    const productId = await createProduct();
    const bytes = await png(200, 100);
    const expired = await ticketFor(productId, 'image/png', bytes.length);
    // Fifteen minutes pass, as far as the database is concerned.
    const uploadId = /\/image-uploads\/([^/]+)\//.exec(expired.url)![1]!;
    await productsDb`update product_image_uploads set expires_at = now() - interval '1 second' where id = ${uploadId}`;
    const late = await send(expired, bytes);
    expect([late.status, refusalOf(late)]).toEqual([403, 'UPLOAD_URL_EXPIRED']);

    const valid = await ticketFor(productId, 'image/png', bytes.length);
    const forged = { ...valid, url: valid.url.replace(/\/[^/]+$/, `/${'A'.repeat(43)}`) };
    const forgedAnswer = await send(forged, bytes, { Authorization: `Bearer ${customer.token}` });
    expect([forgedAnswer.status, refusalOf(forgedAnswer)]).toEqual([403, 'UPLOAD_URL_INVALID']);
    const unknownUpload = { ...valid, url: valid.url.replace(/\/image-uploads\/[^/]+\//, `/image-uploads/${randomUUID()}/`) };
    expect(refusalOf(await send(unknownUpload, bytes))).toBe('UPLOAD_URL_INVALID');
    // Straight to products, without the gateway's service token.
    const direct = await fetch(valid.url.replace(supergraph.gatewayUrl, supergraph.subgraphUrls.products), { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
    expect(direct.status).toBe(401);
    // Straight to products with another service's token: orders may not upload.
    const asOrders = await fetch(valid.url.replace(supergraph.gatewayUrl, supergraph.subgraphUrls.products), {
      method: 'PUT',
      headers: { 'content-type': 'image/png', [SERVICE_TOKEN_HEADER]: await supergraph.serviceToken('orders', 'products') },
      body: bytes,
    });
    expect(asOrders.status).toBe(403);
    expect(await storedImageCount(productId)).toBe(0);
    // The valid URL was not used up by any of that.
    expect((await send(valid, bytes)).status).toBe(201);
  });
});

// ------------------------------------------------------------------ order, alt text, removal

describe('changing and removing images', () => {
  it('reorders images and changes alt text; the first is the featured image', async () => {
    const productId = await createProduct();
    const ids = [
      await uploadImage(productId, await png(200, 200), 'image/png'),
      await uploadImage(productId, await webp(), 'image/webp'),
      await uploadImage(productId, await png(300, 300), 'image/png'),
    ];
    const moved = (await supergraph.data(UPDATE_IMAGE, { id: ids[2], input: { position: 0, altText: '  Oats in a bowl ' } }, { token: adminToken })).updateProductImage;
    expect(moved.userErrors).toEqual([]);
    expect(moved.image).toMatchObject({ id: ids[2], altText: 'Oats in a bowl' });
    expect(moved.product.featuredImage.id).toBe(ids[2]);
    expect((await imagesOf(productId)).images.map((image) => image.id)).toEqual([ids[2], ids[0], ids[1]]);
    await supergraph.data(UPDATE_IMAGE, { id: ids[2], input: { position: 2 } }, { token: adminToken });
    expect((await imagesOf(productId)).images.map((image) => image.id)).toEqual([ids[0], ids[1], ids[2]]);

    const outOfRange = (await supergraph.data(UPDATE_IMAGE, { id: ids[0], input: { position: 3 } }, { token: adminToken })).updateProductImage;
    expect(outOfRange).toEqual({ image: null, product: null, userErrors: [{ field: 'position', code: 'INVALID_INPUT', message: expect.stringContaining('0 to 2') }] });
    const blank = (await supergraph.data(UPDATE_IMAGE, { id: ids[0], input: { altText: ' ' } }, { token: adminToken })).updateProductImage;
    expect(blank.userErrors.map((error: { field: string; code: string }) => [error.field, error.code])).toEqual([['altText', 'INVALID_INPUT']]);
    const unknown = (await supergraph.data(UPDATE_IMAGE, { id: randomUUID(), input: { altText: 'x' } }, { token: adminToken })).updateProductImage;
    expect(unknown.userErrors.map((error: { code: string }) => error.code)).toEqual(['NOT_FOUND']);
    expect((await supergraph.request(UPDATE_IMAGE, { id: ids[0], input: { altText: 'mine' } }, { token: customer.token })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await imagesOf(productId)).images.map((image) => image.altText)).toEqual(['Pictured oats', 'Pictured oats', 'Oats in a bowl']);
  });

  it('removes an image and every size of it; the next becomes the featured image', async () => {
    const productId = await createProduct();
    const first = await uploadImage(productId, await png(200, 200), 'image/png');
    const second = await uploadImage(productId, await webp(), 'image/webp');
    const [firstUrl] = await urlsOf(productId, first, 'WEBP', [160]);
    expect((await fetch(firstUrl!)).status).toBe(200);
    expect((await supergraph.request(REMOVE_IMAGE, { id: first }, { token: customer.token })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const removed = (await supergraph.data(REMOVE_IMAGE, { id: first }, { token: adminToken })).removeProductImage;
    expect(removed).toEqual({ removedImageId: first, product: { id: productId, images: [{ id: second }] }, userErrors: [] });
    expect((await imagesOf(productId)).featuredImage?.id).toBe(second);
    expect((await fetch(firstUrl!)).status).toBe(404);
    expect(Number((await productsDb`select count(*) as count from product_image_variants where image_id = ${first}`)[0]!.count)).toBe(0);
    const again = (await supergraph.data(REMOVE_IMAGE, { id: first }, { token: adminToken })).removeProductImage;
    expect(again).toEqual({ removedImageId: null, product: null, userErrors: [{ field: 'id', code: 'NOT_FOUND', message: expect.any(String) }] });
  });

  it('announces the product on productUpdated when its images change', async () => {
    const productId = await createProduct('Live picture');
    const client: Client = createClient({ url: `${supergraph.gatewayUrl.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const events: Array<{ images: Array<{ id: string }> }> = [];
    const stop = client.subscribe<{ productUpdated: { images: Array<{ id: string }> } }>(
      { query: 'subscription($ids: [ID!]!) { productUpdated(ids: $ids) { id images { id } } }', variables: { ids: [productId] } },
      { next: (event) => events.push(event.data!.productUpdated), error: () => {}, complete: () => {} },
    );
    try {
      await subscriptionsOpen(supergraph.metricsUrls.gateway, 1);
      const imageId = await uploadImage(productId, await png(200, 200), 'image/png');
      await vi.waitFor(() => expect(events.at(-1)?.images).toEqual([{ id: imageId }]), { timeout: 5_000 });
      await supergraph.data(REMOVE_IMAGE, { id: imageId }, { token: adminToken });
      await vi.waitFor(() => expect(events.at(-1)?.images).toEqual([]), { timeout: 5_000 });
    } finally {
      stop();
      await client.dispose();
    }
  });
});

// ------------------------------------------------------------------ the demo catalogue

describe('the demo catalogue', () => {
  it('has an image for every product, whose catalogue-page URLs serve', async () => {
    const { products } = await supergraph.data(
      `{ products(first: 100) { totalCount edges { node { id sku name featuredImage { altText width height small: url(width: 320) large: url(width: 960) } } } } }`,
    );
    expect(products.edges.length).toBe(products.totalCount);
    // The demo's products, not the ones this file made.
    const demoSkus = new Set(Object.values(demoCatalogue).flatMap((items) => items.map(([sku]) => sku)));
    products.edges = products.edges.filter(({ node }: { node: { sku: string } }) => demoSkus.has(node.sku));
    expect(products.edges.length).toBe(demoSkus.size);
    for (const { node } of products.edges) {
      expect(node.featuredImage, node.name).not.toBeNull();
      expect(node.featuredImage.altText).toBe(node.name);
    }
    // Every product's small picture, and one large one (the original's width: the demo pictures are 640 wide).
    for (const { node } of products.edges) {
      const { response, bytes } = await fetchImage(node.featuredImage.small);
      expect(response.status, node.name).toBe(200);
      expect((await sharp(bytes).metadata()).width).toBe(320);
    }
    const large = await fetchImage(products.edges[0].node.featuredImage.large);
    expect([large.response.status, (await sharp(large.bytes).metadata()).width]).toEqual([200, products.edges[0].node.featuredImage.width]);
  });

  it('is public data: a catalogue page with its pictures over GET without a token may be cached', async () => {
    const url = new URL(`${supergraph.gatewayUrl}/graphql`);
    url.searchParams.set(
      'query',
      '{ products(first: 5) { edges { node { id featuredImage { id altText width height small: url(width: 320) avif: url(width: 640, format: AVIF) } images { id } } } } }',
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(response.headers.get('etag')).toBeTruthy();
  });

  it('costs products the same statements for a page of 5 products with their images as for a page of 20 (one for all images)', async () => {
    const page = (first: number) => supergraph.data(`query($first: Int) { products(first: $first) { edges { node { id images { id url } featuredImage { id url(width: 320) } } } } }`, { first });
    const statementsFor = async (first: number) => {
      supergraph.statements.products.reset();
      await page(first);
      return supergraph.statements.products.applicationCount;
    };
    await page(1);
    expect(await statementsFor(20)).toBe(await statementsFor(5));
  });

  it('is seeded once: two processes seeding a new database at once, then a restart, give each demo product one image', async () => {
    const serverUrl = inject('postgresServerUrl');
    const name = `test_${randomUUID().slice(0, 8)}_images_seed`;
    const [one, two] = await Promise.all([prepareProductsDatabase({ serverUrl, name }), prepareProductsDatabase({ serverUrl, name })]);
    try {
      await Promise.all([seedDemoCatalogue(one!.db), seedDemoCatalogue(two!.db)]);
      await seedDemoCatalogue(one!.db);
      const demoProducts = Object.values(demoCatalogue).flat().length;
      const [counts] = await one!.sql<Array<{ images: number; products: number }>>`
        select count(*)::int as images, count(distinct product_id)::int as products from product_images`;
      expect(counts).toEqual({ images: demoProducts, products: demoProducts });
    } finally {
      await Promise.all([one?.close(), two?.close()]);
      await dropDatabase(serverUrl, name);
    }
  });
});
