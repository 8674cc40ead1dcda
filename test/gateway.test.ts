import { readFileSync } from 'node:fs';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationDocuments, operationsPath } from '@greencart/gateway';
import { SERVICE_TOKEN_HEADER, serviceNamed } from '@greencart/platform';
import { planOperations } from '../scripts/lib/query-plans.js';
import { supergraphSchemaPath } from '../scripts/lib/supergraph.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';
import { hmacWithPublicKey, serviceTokenFromAnotherKey, signedToken, tamperedToken, tokenFromAnotherKey, unsignedToken } from './support/tokens.js';

let supergraph: TestSupergraph;
let customer: { token: string; id: string };

beforeAll(async () => {
  supergraph = await startSupergraph();
  customer = await supergraph.registerCustomer();
});
afterAll(() => supergraph?.stop());

describe('health and readiness', () => {
  it('answers /health and /ready on the gateway and each subgraph', async () => {
    for (const url of [supergraph.gatewayUrl, ...Object.values(supergraph.subgraphUrls)]) {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
    }
  });
});

describe('subgraphs answer only GreenCart services', () => {
  const queries = {
    plain: '{ __typename }',
    service: '{ _service { sdl } }',
    entities: '{ _entities(representations: [{ __typename: "Product", id: "00000000-0000-0000-0000-000000000000" }]) { __typename } }',
  };

  for (const [kind, query] of Object.entries(queries)) {
    it(`refuses a direct ${kind} query without service credentials with 401`, async () => {
      for (const url of Object.values(supergraph.subgraphUrls)) {
        const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
        expect(response.status).toBe(401);
        const body = (await response.json()) as { data?: unknown };
        expect(body.data).toBeUndefined();
      }
    });
  }

  it("refuses a service token signed with another key than the gateway's, or a customer token in its place", async () => {
    const forged = await serviceTokenFromAnotherKey('gateway', 'products');
    for (const token of [forged, customer.token]) {
      const response = await fetch(`${supergraph.subgraphUrls.products}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: token },
        body: JSON.stringify({ query: queries.service }),
      });
      expect(response.status).toBe(401);
    }
  });

  it('answers a sibling service that proves itself', async () => {
    const token = await supergraph.serviceToken('orders', 'products');
    const response = await fetch(`${supergraph.subgraphUrls.products}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: token },
      body: JSON.stringify({ query: queries.service }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { _service: { sdl: string } } };
    expect(body.data._service.sdl).toContain('type Product');
  });

  it('does not expose federation internals through the gateway', async () => {
    const response = await supergraph.request(queries.entities);
    expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('access tokens', () => {
  const publicQuery = '{ categories { id } }';

  it('lets anonymous requests read public fields', async () => {
    const data = await supergraph.data(publicQuery);
    expect(data.categories.length).toBeGreaterThan(0);
  });

  it('accepts a token signed by accounts', async () => {
    const data = await supergraph.data('{ me { id role } }', {}, { token: customer.token });
    expect(data.me).toEqual({ id: customer.id, role: 'CUSTOMER' });
  });

  it('accepts a hand-made token with the right claims and kid (so the refusals below are about what they change)', async () => {
    const token = await signedToken(supergraph.keys.privateKeyPem, { sub: customer.id });
    const data = await supergraph.data('{ me { id } }', {}, { token });
    expect(data.me.id).toBe(customer.id);
  });

  const forgeries: Array<[string, () => Promise<string> | string]> = [
    ['unsigned (alg: none)', () => unsignedToken(customer.id, supergraph.keys.kid)],
    ['HS256 signed with the public key', () => hmacWithPublicKey(supergraph.keys.publicKeyPem, customer.id)],
    ['signed by another key under our kid', () => tokenFromAnotherKey(customer.id, { kid: supergraph.keys.kid })],
    ['with an unknown kid', () => tokenFromAnotherKey(customer.id)],
    ['without a kid', () => signedToken(supergraph.keys.privateKeyPem, { sub: customer.id, kid: null })],
    ['with a wrong issuer', () => signedToken(supergraph.keys.privateKeyPem, { sub: customer.id, iss: 'someone-else' })],
    ['with a wrong audience', () => signedToken(supergraph.keys.privateKeyPem, { sub: customer.id, aud: 'another-api' })],
    ['expired', () => signedToken(supergraph.keys.privateKeyPem, { sub: customer.id, expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['tampered with', () => tamperedToken(customer.token)],
    ['malformed', () => 'not-a-jwt'],
    ['whose subject is not a UUID (correctly signed)', () => signedToken(supergraph.keys.privateKeyPem, { sub: 'not-a-uuid', role: 'ADMIN' })],
  ];

  for (const [name, forge] of forgeries) {
    it(`refuses a token ${name} with UNAUTHENTICATED, even on public fields`, async () => {
      const response = await supergraph.request(publicQuery, {}, { token: await forge() });
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(response.data ?? null).toBeNull();
    });
  }

  it('refuses a correctly signed token whose subject is not a UUID with UNAUTHENTICATED (HTTP 401) where the subject would be used, not an internal error', async () => {
    const token = await signedToken(supergraph.keys.privateKeyPem, { sub: 'not-a-uuid' });
    for (const query of ['{ me { id } }', '{ cart { id } }', '{ orders { totalCount } }']) {
      const response = await supergraph.request(query, {}, { token });
      expect(response.status, query).toBe(401);
      expect(
        response.errors?.map((error) => error.extensions?.code),
        query,
      ).toEqual(['UNAUTHENTICATED']);
      expect(response.data ?? null).toBeNull();
    }
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const response = await supergraph.request(publicQuery, {}, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('has subgraphs verify the token themselves, not trust the gateway blindly', async () => {
    // A caller inside the network with service credentials but a forged user token gets nothing.
    for (const forged of [unsignedToken(customer.id, supergraph.keys.kid), await tokenFromAnotherKey(customer.id), await signedToken(supergraph.keys.privateKeyPem, { sub: 'not-a-uuid' })]) {
      for (const [subgraph, url] of Object.entries(supergraph.subgraphUrls)) {
        const service = await supergraph.serviceToken('gateway', serviceNamed(subgraph));
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: service, authorization: `Bearer ${forged}` },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
        expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
    }
  });
});

describe('text PostgreSQL cannot store', () => {
  it('refuses a NUL character anywhere in a request with BAD_USER_INPUT, and stores nothing', async () => {
    const email = `nul-${Date.now()}@example.com`;
    const response = await supergraph.request('mutation($input: RegisterInput!) { register(input: $input) { token } }', {
      input: { email, password: 'long enough password', name: 'Nul\u0000Byte' },
    });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const login = await supergraph.data('mutation($input: LoginInput!) { login(input: $input) { userErrors { code } } }', { input: { email, password: 'long enough password' } });
    expect(login.login.userErrors).toEqual([{ code: 'INVALID_CREDENTIALS' }]);
  });

  it('refuses it in the query text too', async () => {
    const response = await supergraph.request('{ products(filter: { search: "oat\u0000" }) { totalCount } }');
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('query plans for developers', () => {
  it('shows how a query fans out when asked with x-greencart-query-plan, and not otherwise', async () => {
    const query = '{ me { id } categories { name } }';
    const planned = await fetch(`${supergraph.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}`, 'x-greencart-query-plan': 'true' },
      body: JSON.stringify({ query }),
    }).then((response) => response.json() as Promise<{ extensions?: { queryPlan?: string } }>);
    expect(planned.extensions?.queryPlan).toMatch(/Parallel/);
    expect(planned.extensions?.queryPlan).toContain('Fetch(service: "accounts")');
    expect(planned.extensions?.queryPlan).toContain('Fetch(service: "products")');
    const plain = await supergraph.request(query, {}, { token: customer.token });
    expect(JSON.stringify(plain)).not.toContain('queryPlan');
  });

  it('plans a client operation as docs/query-plans.md shows it', async () => {
    const operations = readFileSync(operationsPath, 'utf8');
    const order = operationDocuments(operations).find(({ operation }) => operation.name?.value === 'Order')!;
    const planned = await fetch(`${supergraph.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}`, 'x-greencart-query-plan': 'true' },
      body: JSON.stringify({ query: print(order.document), operationName: 'Order', variables: { id: '00000000-0000-0000-0000-000000000000' } }),
    }).then((response) => response.json() as Promise<{ extensions?: { queryPlan?: string } }>);
    const documented = planOperations(readFileSync(supergraphSchemaPath, 'utf8'), operations).find((entry) => entry.name === 'Order')!;
    expect(documented.fetches).toBeGreaterThan(1);
    expect(planned.extensions?.queryPlan?.replace(/[ \t]+$/gm, '')).toBe(documented.plan);
  });
});
