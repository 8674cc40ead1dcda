import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@greencart/client';
import { MAX_QUERY_PARAMETERS } from '@greencart/platform';
import { freePort } from './support/ports.js';
import { TEST_CARDS } from './support/payment-operations.js';
import { ADMIN, startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The HTTP half of the holes an adversarial probe found (issue 23): request targets, the query
// string, coded errors where a 500 answered, and the small ones. Each sends the probe's own
// reproduction to the real gateway and subgraphs and asserts what a client, or an attacker, sees.

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Sends one request exactly as written (no client normalises its target) and reads the whole answer. */
function rawRequest(port: number, text: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [headers = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]), headers, body });
    });
  });
}

const portOf = (url: string) => Number(new URL(url).port);
const codeOf = (body: string) => (JSON.parse(body) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;

/** A listener of the test's own: it counts every connection that reaches it, and answers nothing. */
async function trapListener(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 14\r\nConnection: close\r\n\r\n<h1>trap!</h1>');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, connections: () => connections, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('in production, with the safelist', () => {
  let supergraph: TestSupergraph;
  let trap: Awaited<ReturnType<typeof trapListener>>;
  beforeAll(async () => {
    [supergraph, trap] = await Promise.all([startSupergraph({ production: true, safelist: true }), trapListener()]);
  });
  afterAll(async () => {
    await supergraph?.stop();
    await trap?.close();
  });

  it('sends no request target in absolute form anywhere but to orders: the invoice route never reaches another host (server-side request forgery)', async () => {
    const gateway = portOf(supergraph.gatewayUrl);
    const elsewhere = `127.0.0.1:${trap.port}`;
    const probes = [
      // The probe's reproduction: any Host, the target naming a listener of the attacker's.
      { target: `http://${elsewhere}/invoices/x/print`, host: 'shop.example.com' },
      { target: `http://${elsewhere}/invoices/${randomUUID()}/print?expires=1&signature=x`, host: `127.0.0.1:${gateway}` },
      // The Host agreeing with the target: served as this server's path, forwarded to orders alone.
      { target: `http://${elsewhere}/invoices/x/print`, host: elsewhere },
      { target: `http://${elsewhere}/invoices/${randomUUID()}/print?expires=1&signature=x`, host: elsewhere },
      // A path that looks like an authority, and other forms a target can take.
      { target: `//${elsewhere}/invoices/${randomUUID()}/print`, host: `127.0.0.1:${gateway}` },
      { target: `/invoices/${encodeURIComponent(`//${elsewhere}/x`)}/print`, host: `127.0.0.1:${gateway}` },
      { target: `https://${elsewhere}/graphql`, host: 'shop.example.com' },
      { target: elsewhere, host: elsewhere },
    ];
    const answers: string[] = [];
    for (const { target, host } of probes) {
      const answer = await rawRequest(gateway, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      answers.push(`${target} (Host ${host}) -> ${answer.status}`);
      expect(answer.status, target).toBeGreaterThanOrEqual(400);
      expect(answer.status, target).toBeLessThan(500);
      expect(answer.body, target).not.toContain('trap!');
    }
    console.info(`absolute-form and look-alike targets:\n  ${answers.join('\n  ')}\nconnections that reached the test's own listener: ${trap.connections()}`);
    expect(trap.connections()).toBe(0);
  });

  it('refuses an absolute-form target naming another host with a coded 400, and serves one naming itself as its path', async () => {
    const gateway = portOf(supergraph.gatewayUrl);
    const other = await rawRequest(gateway, `GET http://127.0.0.1:${trap.port}/health HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n`);
    expect(other.status).toBe(400);
    expect(codeOf(other.body)).toBe('BAD_REQUEST');
    const itself = await rawRequest(gateway, `GET http://127.0.0.1:${gateway}/health HTTP/1.1\r\nHost: 127.0.0.1:${gateway}\r\nConnection: close\r\n\r\n`);
    expect(itself.status).toBe(200);
    expect(JSON.parse(itself.body)).toMatchObject({ status: 'ok', service: 'gateway' });
  });

  it('runs no unlisted document however many parameters precede it (Express stopped reading at 1,000, Apollo did not)', async () => {
    const admin = (await createClient({ url: `${supergraph.gatewayUrl}/graphql` }).Login({ input: ADMIN })).login!.token!;
    const unlisted = encodeURIComponent('{ me { id email role } }');
    const padded = `${supergraph.gatewayUrl}/graphql?${'a&'.repeat(1000)}query=${unlisted}`;
    const answer = await fetch(padded, { headers: { authorization: `Bearer ${admin}` } });
    const body = (await answer.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    console.info(`GET with 1,000 parameters before an unlisted query: ${answer.status} ${JSON.stringify(body)}`);
    expect(answer.status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(body.errors?.[0]?.message).toContain(`more than ${MAX_QUERY_PARAMETERS} parameters`);

    // Named twice, a persisted query first and an unlisted one after: refused, not one of them picked.
    const categories = encodeURIComponent('query Categories { categories { id name productCount } }');
    const twice = await fetch(`${supergraph.gatewayUrl}/graphql?query=${categories}&query=${unlisted}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { data?: unknown }).data).toBeUndefined();
    // And the same unlisted query alone is refused by the safelist, as it always was.
    const alone = await fetch(`${supergraph.gatewayUrl}/graphql?query=${unlisted}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(codeOf(await alone.text())).toBe('OPERATION_NOT_IN_SAFELIST');
  });

  it('still runs a persisted query over GET beside a few parameters of the client (a cache buster)', async () => {
    const categories = encodeURIComponent('query Categories { categories { id name productCount } }');
    const answer = await fetch(`${supergraph.gatewayUrl}/graphql?v=3&query=${categories}&_=${Date.now()}`);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: { categories: unknown[] } }).data.categories.length).toBeGreaterThan(0);
  });

  it('answers extensions that are not JSON with a coded 400, not a 500', async () => {
    const answer = await fetch(`${supergraph.gatewayUrl}/graphql?extensions=%7Bnope`);
    const body = await answer.text();
    console.info(`GET /graphql?extensions=%7Bnope: ${answer.status} ${body}`);
    expect(answer.status).toBe(400);
    expect(codeOf(body)).toBe('BAD_REQUEST');
    const posted = await fetch(`${supergraph.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extensions: '{nope' }) });
    expect(posted.status).toBe(400);
    expect(codeOf(await posted.text())).toBe('BAD_REQUEST');
  });

  it("finds no persisted document under a hash that names one of a JavaScript object's own properties (__proto__)", async () => {
    for (const hash of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const asApollo = await fetch(`${supergraph.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
      });
      expect(asApollo.status, hash).toBe(400);
      expect(codeOf(await asApollo.text()), hash).toBe('PERSISTED_QUERY_NOT_FOUND');
      const asDocumentId = await fetch(`${supergraph.gatewayUrl}/graphql?documentId=sha256:${hash}`);
      expect(asDocumentId.status, hash).toBe(400);
      expect(codeOf(await asDocumentId.text()), hash).toBe('PERSISTED_QUERY_NOT_FOUND');
    }
  });

  it('answers a path nothing serves with a JSON 404, on the gateway and on a subgraph', async () => {
    for (const url of [`${supergraph.gatewayUrl}/nope`, `${supergraph.gatewayUrl}/invoices`, `${supergraph.subgraphUrls.products}/nope`]) {
      const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(answer.status, url).toBe(404);
      expect(answer.headers.get('content-type'), url).toMatch(/^application\/json/);
      expect(codeOf(await answer.text()), url).toBe('NOT_FOUND');
    }
  });

  it('reaches the printable invoice through the persisted documents alone, as a production client must', async () => {
    const url = `${supergraph.gatewayUrl}/graphql`;
    const anonymous = createClient({ url });
    const registered = await anonymous.Register({ input: { email: `print-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Printing Customer' } });
    const customer = anonymous.withToken(registered.register!.token!);
    const product = (await anonymous.Products({ first: 1, filter: { inStock: true } })).products!.edges[0]!.node;
    const placed = await customer.PlaceOrder({ input: { idempotencyKey: randomUUID(), items: [{ productId: product.id, quantity: 1 }] } });
    expect(placed.placeOrder!.userErrors).toEqual([]);
    const card = await customer.AddPaymentMethod({ input: { cardNumber: TEST_CARDS.visa, expMonth: 12, expYear: new Date().getFullYear() + 2, cvc: '123' } });
    const paid = await customer.PayOrder({ input: { orderId: placed.placeOrder!.order!.id, paymentMethodId: card.addPaymentMethod!.paymentMethod!.id } });
    expect(paid.payOrder!.userErrors).toEqual([]);
    const invoiceId = (await customer.Order({ id: placed.placeOrder!.order!.id })).order!.invoice!.id;

    const invoice = (await customer.Invoice({ id: invoiceId })).invoice!;
    expect(invoice.printUrl).toMatch(/\/invoices\/[0-9a-f-]{36}\/print\?/);
    const page = await fetch(invoice.printUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(invoice.number);
  });
});

describe('a NUL character written as a GraphQL escape (development, any document runs)', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph();
  });
  afterAll(() => supergraph?.stop());

  it('is refused at the gateway with BAD_USER_INPUT, however the document writes it, and no subgraph logs a failed statement', async () => {
    const documents = [
      '{ productBySku(sku: "a\\u0000b") { id } }',
      '{ productBySku(sku: "a\\u{0}b") { id } }',
      'mutation { login(input: { email: "ann\\u0000@example.com", password: "whatever it is" }) { token userErrors { code } } }',
      'query($sku: String = "x\\u0000") { productBySku(sku: $sku) { id } }',
    ];
    const seen: string[] = [];
    for (const query of documents) {
      const posted = await supergraph.request(query);
      seen.push(`${query} -> ${posted.status} ${posted.errors?.[0]?.extensions?.code}`);
      expect(posted.status, query).toBe(400);
      expect(posted.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
      expect(posted.data, query).toBeUndefined();
    }
    const overGet = await fetch(`${supergraph.gatewayUrl}/graphql?query=${encodeURIComponent(documents[0]!)}`);
    expect(overGet.status).toBe(400);
    expect(codeOf(await overGet.text())).toBe('BAD_USER_INPUT');
    console.info(`NUL escapes:\n  ${seen.join('\n  ')}`);

    const logged = supergraph.logs.filter((line) => line.includes('Failed query') || line.includes('"level":"error"') || line.includes('"level":50'));
    expect(logged).toEqual([]);
  });
});
