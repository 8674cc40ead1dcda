import { setTimeout as sleep } from 'node:timers/promises';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdOf, SERVICE_TOKEN_HEADER } from '@greencart/platform';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';
import { newSigningKeyPair, signedToken, tokenFromAnotherKey } from './support/tokens.js';

/**
 * Key rotation as an operator does it: accounts restarted with a new signing key and the old one
 * retired, then with the old one removed. The gateway, orders and products keep running; they cache
 * accounts' keys for a second and may refetch on any unknown kid, so each change reaches them
 * within the test.
 */
type KeyPair = Awaited<ReturnType<typeof newSigningKeyPair>>;
let supergraph: TestSupergraph;
let keys: { retiredAtStart: KeyPair; original: KeyPair; next: KeyPair };
let customer: { token: string; id: string; email: string };
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  keys = { retiredAtStart: await newSigningKeyPair(), original: await newSigningKeyPair(), next: await newSigningKeyPair() };
  supergraph = await startSupergraph({
    signingKeys: keys.original,
    retiredPublicKeyPems: [keys.retiredAtStart.publicKeyPem],
    jwksCacheSeconds: 1,
    jwksCooldownSeconds: 0,
  });
  customer = await supergraph.registerCustomer({ password: PASSWORD });
});
afterAll(() => supergraph?.stop());

/** One field from each subgraph, so each verifies the token itself. */
const EVERY_SUBGRAPH = '{ me { id } categories { id } cart { totalQuantity } }';

async function expectAcceptedEverywhere(token: string): Promise<void> {
  const data = await supergraph.data(EVERY_SUBGRAPH, {}, { token });
  expect(data.me.id).toBe(customer.id);
  expect(data.categories.length).toBeGreaterThan(0);
  expect(data.cart.totalQuantity).toBe(0);
}

async function login(): Promise<string> {
  const data = await supergraph.data('mutation($input: LoginInput!) { login(input: $input) { token } }', { input: { email: customer.email, password: PASSWORD } });
  return data.login.token;
}

/** The error code a subgraph answers a token with when asked directly, with service credentials. */
async function codeFromSubgraph(subgraph: 'accounts' | 'orders' | 'products', token: string): Promise<string | undefined> {
  const url = supergraph.subgraphUrls[subgraph];
  const service = await supergraph.serviceToken('gateway', subgraph);
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: service, authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
  return body.errors?.[0]?.extensions?.code;
}

/** Asks again until `done` holds (caches expire on their own time), then returns the last answer. */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await probe();
  for (let attempt = 0; attempt < 150 && !done(value); attempt++) {
    await sleep(100);
    value = await probe();
  }
  return value;
}

describe('published keys', () => {
  it('serves the current key first and the retired ones, publicly, with kid, alg and use and no private part', async () => {
    const response = await fetch(supergraph.jwksUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=1');
    const body = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(body.keys.map((key) => key.kid)).toEqual([await keyIdOf(keys.original.publicKeyPem), await keyIdOf(keys.retiredAtStart.publicKeyPem)]);
    for (const key of body.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('stamps a customer token with the current kid', async () => {
    expect(decodeProtectedHeader(customer.token)).toMatchObject({ alg: 'ES256', kid: await keyIdOf(keys.original.publicKeyPem) });
  });

  it('accepts a token signed by a retired key on every subgraph', async () => {
    await expectAcceptedEverywhere(await signedToken(keys.retiredAtStart.privateKeyPem, { sub: customer.id }));
  });

  it('refuses a token whose kid nobody published, and one without a kid', async () => {
    for (const token of [await tokenFromAnotherKey(customer.id), await signedToken(keys.original.privateKeyPem, { sub: customer.id, kid: null })]) {
      const response = await supergraph.request(EVERY_SUBGRAPH, {}, { token });
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      for (const subgraph of ['accounts', 'orders', 'products'] as const) expect(await codeFromSubgraph(subgraph, token)).toBe('UNAUTHENTICATED');
    }
  });
});

describe('rotating the signing key', () => {
  let newToken: string;

  it('keeps old tokens working after a new key is added and the old one retired, and new tokens work at once', async () => {
    await supergraph.restartAccounts({ signingKeys: keys.next, retiredPublicKeyPems: [keys.original.publicKeyPem] });
    await expectAcceptedEverywhere(customer.token);

    newToken = await login();
    expect(decodeProtectedHeader(newToken).kid).toBe(await keyIdOf(keys.next.publicKeyPem));
    expect(supergraph.keys.kid).toBe(await keyIdOf(keys.next.publicKeyPem));
    // The others have not seen this kid yet: they fetch the keys again rather than refuse it.
    await expectAcceptedEverywhere(newToken);
  });

  it('refuses tokens of a removed key: at accounts at once, elsewhere once their cached keys expire', async () => {
    await supergraph.restartAccounts({ signingKeys: keys.next, retiredPublicKeyPems: [] });
    expect(await codeFromSubgraph('accounts', customer.token)).toBe('UNAUTHENTICATED');

    const refused = await eventually(
      async () => {
        const response = await supergraph.request(EVERY_SUBGRAPH, {}, { token: customer.token });
        return response.errors?.[0]?.extensions?.code;
      },
      (code) => code === 'UNAUTHENTICATED',
    );
    expect(refused).toBe('UNAUTHENTICATED');
    for (const subgraph of ['orders', 'products'] as const) {
      expect(
        await eventually(
          () => codeFromSubgraph(subgraph, customer.token),
          (code) => code === 'UNAUTHENTICATED',
        ),
      ).toBe('UNAUTHENTICATED');
    }
    await expectAcceptedEverywhere(newToken);
  });

  it('does not call a token invalid when accounts is down and its keys are no longer cached', async () => {
    await supergraph.stopSubgraph('accounts');
    const codes: Array<string | undefined> = [];
    const code = await eventually(
      async () => {
        const response = await supergraph.request('{ categories { id } }', {}, { token: newToken });
        codes.push(response.errors?.[0]?.extensions?.code);
        return codes.at(-1);
      },
      (last) => last === 'INTERNAL_SERVER_ERROR',
    );
    expect(code).toBe('INTERNAL_SERVER_ERROR');
    expect(codes).not.toContain('UNAUTHENTICATED');
  });
});
