import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { cacheExchange, createClient as createUrqlClient, fetchExchange, gql } from '@urql/core';
import { documentHash } from '@greencart/gateway';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';
import { chromiumAvailable, launchChromium, serveOnAnotherOrigin } from './support/chromium.js';

/** Web apps on other origins: CORS at the gateway, GraphQL over GET, and a real page in Chromium. */

const VITE = 'http://localhost:5173';
const STOREFRONT = 'https://shop.example.com';
const ELSEWHERE = 'https://evil.example';
/** A query of the client's own (in the persisted-documents manifest), so the production safelist lets it through. */
const CATEGORIES = 'query Categories {\n  categories {\n    id\n    name\n    productCount\n  }\n}';
const CLIENT_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollo-client-name',
  'apollo-client-version',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-request-id',
];

/** A browser's preflight for a POST with the headers Apollo Client sends. */
function preflight(gatewayUrl: string, origin: string): Promise<Response> {
  return fetch(`${gatewayUrl}/graphql`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization,apollographql-client-name' },
  });
}

function corsHeadersOf(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
}

async function expectAllowed(gatewayUrl: string, origin: string): Promise<void> {
  const answer = await preflight(gatewayUrl, origin);
  expect(answer.status).toBe(204);
  expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
  expect(answer.headers.get('access-control-allow-methods')?.split(',')).toEqual(['GET', 'POST']);
  expect(answer.headers.get('access-control-allow-headers')?.split(',')).toEqual(CLIENT_HEADERS);
  expect(Number(answer.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
  expect(await answer.text()).toBe('');

  const actual = await fetch(`${gatewayUrl}/graphql`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: CATEGORIES }) });
  expect(actual.status).toBe(200);
  expect(actual.headers.get('access-control-allow-origin')).toBe(origin);
  expect(actual.headers.get('vary')).toMatch(/\bOrigin\b/i);
  expect(actual.headers.get('access-control-allow-credentials')).toBeNull();
}

async function expectRefused(gatewayUrl: string, origin: string): Promise<void> {
  const answer = await preflight(gatewayUrl, origin);
  expect(corsHeadersOf(answer)).toEqual([]);
  const actual = await fetch(`${gatewayUrl}/graphql`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: CATEGORIES }) });
  expect(corsHeadersOf(actual)).toEqual([]);
  expect(actual.headers.get('vary')).toMatch(/\bOrigin\b/i);
}

describe('in development, without CORS_ORIGINS', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph();
  });
  afterAll(() => supergraph?.stop());

  it('lets any local origin in (a Vite dev server, 127.0.0.1, [::1]) and no other', async () => {
    for (const origin of [VITE, 'http://127.0.0.1:3000', 'http://[::1]:8080']) await expectAllowed(supergraph.gatewayUrl, origin);
    for (const origin of [ELSEWHERE, STOREFRONT, 'http://localhost.evil.example', 'null']) await expectRefused(supergraph.gatewayUrl, origin);
  });

  it('answers a preflight without touching GraphQL', async () => {
    supergraph.statements.products.reset();
    await preflight(supergraph.gatewayUrl, VITE);
    const metrics = await (await fetch(supergraph.metricsUrls.gateway)).text();
    expect(metrics).not.toMatch(/greencart_graphql_requests_total\{[^}]*operation="invalid"/);
    expect(supergraph.statements.products.count).toBe(0);
  });

  it('reads the catalogue with urql, which sends queries over GET by default', async () => {
    const methods: string[] = [];
    const urql = createUrqlClient({
      url: `${supergraph.gatewayUrl}/graphql`,
      exchanges: [cacheExchange, fetchExchange],
      fetch: (input, init) => {
        methods.push(init?.method ?? 'GET');
        return fetch(input, init);
      },
    });
    const result = await urql
      .query(
        gql`
          query Shelf($first: Int) {
            products(first: $first) {
              totalCount
              edges {
                node {
                  name
                  price {
                    amount
                  }
                }
              }
            }
          }
        `,
        { first: 3 },
      )
      .toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data.products.edges).toHaveLength(3);
    expect(methods).toEqual(['GET']);
  });

  it('refuses a mutation over GET with 405 and changes nothing', async () => {
    const email = `get-${Date.now()}@example.com`;
    const query = `mutation { register(input: { email: "${email}", password: "correct horse", name: "Get" }) { token } }`;
    const answer = await fetch(`${supergraph.gatewayUrl}/graphql?query=${encodeURIComponent(query)}`);
    expect(answer.status).toBe(405);
    expect(((await answer.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
    const login = await supergraph.request('mutation($input: LoginInput!) { login(input: $input) { token } }', { input: { email, password: 'correct horse' } });
    expect(login.data.login.token).toBeNull();
  });

  it('refuses a POST that is not JSON, as a cross-site form would send it', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await fetch(`${supergraph.gatewayUrl}/graphql`, { method: 'POST', headers: { origin: ELSEWHERE, 'content-type': contentType }, body: '{"query":"mutation { logout }"}' });
      expect(answer.status, contentType).toBe(415);
    }
  });
});

describe('in production', () => {
  let configured: TestSupergraph;
  let unconfigured: TestSupergraph;
  beforeAll(async () => {
    [configured, unconfigured] = await Promise.all([
      startSupergraph({ production: true, safelist: true, corsOrigins: [STOREFRONT], seedCatalogue: true }),
      startSupergraph({ production: true, seedCatalogue: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([configured?.stop(), unconfigured?.stop()]);
  });

  it('lets in exactly the origins in CORS_ORIGINS', async () => {
    await expectAllowed(configured.gatewayUrl, STOREFRONT);
    for (const origin of [VITE, ELSEWHERE, 'https://shop.example.com:8443', 'http://shop.example.com']) await expectRefused(configured.gatewayUrl, origin);
  });

  it('lets in no other origin when CORS_ORIGINS is unset, local ones included, and says so at start', async () => {
    for (const origin of [VITE, STOREFRONT]) await expectRefused(unconfigured.gatewayUrl, origin);
    expect(unconfigured.logs.some((line) => line.includes('CORS_ORIGINS is not set'))).toBe(true);
  });

  it('runs a persisted document named by its hash over GET, as Apollo Client does with useGETForQueries', async () => {
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: documentHash(CATEGORIES) } });
    const answer = await fetch(`${configured.gatewayUrl}/graphql?operationName=Categories&extensions=${encodeURIComponent(extensions)}`, { headers: { origin: STOREFRONT } });
    const body = await answer.text();
    expect(answer.status, body).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
    expect((JSON.parse(body) as { data: { categories: unknown[] } }).data?.categories.length, body).toBeGreaterThan(0);
  });
});

/** The storefront's page: plain fetch against the gateway, as a web app on its own origin would. */
const STOREFRONT_PAGE = `<!doctype html><meta charset="utf-8"><title>Storefront</title><body><script>
  window.shop = async (gateway, email) => {
    const call = async (query, variables, token) => {
      const response = await fetch(gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    };
    const registered = await call('mutation($input: RegisterInput!) { register(input: $input) { token userErrors { code } } }', { input: { email, password: 'correct horse battery', name: 'Browser' } });
    const token = registered.data.register.token;
    const shelf = await fetch(gateway + '?query=' + encodeURIComponent('{ products(first: 1) { edges { node { id } } } }')).then((response) => response.json());
    const productId = shelf.data.products.edges[0].node.id;
    await call('mutation($id: ID!) { addToCart(input: { productId: $id, quantity: 2 }) { userErrors { code } } }', { id: productId }, token);
    const cart = await call('{ cart { totalQuantity items { product { id } } } }', {}, token);
    return { productId, cart: cart.data.cart };
  };
</script>`;

describe.runIf(chromiumAvailable)('a page on another origin, in Chromium', () => {
  let supergraph: TestSupergraph;
  let browser: Browser;
  let pageServer: Awaited<ReturnType<typeof serveOnAnotherOrigin>>;
  let pageOrigin: string;
  beforeAll(async () => {
    supergraph = await startSupergraph();
    pageServer = await serveOnAnotherOrigin((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(STOREFRONT_PAGE));
    pageOrigin = pageServer.origin;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await pageServer?.close();
    await supergraph?.stop();
  });

  it('registers, fills its cart and reads it back through CORS', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('console', (message) => message.type() === 'error' && failures.push(message.text()));
    await page.goto(pageOrigin);
    const outcome = await page.evaluate(
      ([gateway, email]) =>
        (window as unknown as { shop: (g: string, e: string) => Promise<{ productId: string; cart: { totalQuantity: number; items: Array<{ product: { id: string } }> } }> }).shop(gateway!, email!),
      [`${supergraph.gatewayUrl}/graphql`, `browser-${Date.now()}@example.com`],
    );
    expect(outcome.cart.totalQuantity).toBe(2);
    expect(outcome.cart.items.map((item) => item.product.id)).toEqual([outcome.productId]);
    expect(failures).toEqual([]);
  });
});
