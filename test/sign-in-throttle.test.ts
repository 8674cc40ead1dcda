import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

const LOGIN = /* GraphQL */ `
  mutation Login($input: LoginInput!) {
    login(input: $input) { token userErrors { code } }
  }
`;
const PASSWORD = 'the right passphrase';

/** One login attempt: 'signed-in', 'refused' (INVALID_CREDENTIALS) or 'throttled' (RATE_LIMITED). */
async function attempt(supergraph: TestSupergraph, email: string, password: string, headers: Record<string, string> = {}) {
  const response = await supergraph.request(LOGIN, { input: { email, password } }, { headers });
  if (response.errors?.[0]?.extensions?.code === 'RATE_LIMITED') {
    expect(response.data?.login ?? null).toBeNull();
    expect(response.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    return 'throttled';
  }
  expect(response.errors).toBeUndefined();
  return response.data.login.token ? 'signed-in' : 'refused';
}

describe('with the default limits (5 failures in a row per email)', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ seedCatalogue: false });
  });
  afterAll(() => supergraph?.stop());

  it('lets an email fail five times, then refuses even the right password with RATE_LIMITED', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    for (let failure = 0; failure < 5; failure++) expect(await attempt(supergraph, email, 'wrong password')).toBe('refused');
    expect(await attempt(supergraph, email, PASSWORD)).toBe('throttled');
    expect(await attempt(supergraph, email.toUpperCase(), PASSWORD)).toBe('throttled');
  });

  it('throttles an unknown email exactly like a known one', async () => {
    const email = `nobody-${Date.now()}@example.com`;
    for (let failure = 0; failure < 5; failure++) expect(await attempt(supergraph, email, 'guess')).toBe('refused');
    expect(await attempt(supergraph, email, 'guess')).toBe('throttled');
  });

  it('leaves other emails alone', async () => {
    const victim = await supergraph.registerCustomer({ password: PASSWORD });
    const bystander = await supergraph.registerCustomer({ password: PASSWORD });
    for (let failure = 0; failure < 6; failure++) await attempt(supergraph, victim.email, 'wrong password');
    expect(await attempt(supergraph, bystander.email, PASSWORD)).toBe('signed-in');
  });

  it('starts counting again after a successful sign-in', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    for (let failure = 0; failure < 4; failure++) expect(await attempt(supergraph, email, 'wrong password')).toBe('refused');
    expect(await attempt(supergraph, email, PASSWORD)).toBe('signed-in');
    for (let failure = 0; failure < 5; failure++) expect(await attempt(supergraph, email, 'wrong password')).toBe('refused');
    expect(await attempt(supergraph, email, PASSWORD)).toBe('throttled');
  });

  it('counts every login of one request, aliases included', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    const aliases = Array.from({ length: 8 }, (_, index) => `a${index}: login(input: { email: $email, password: "wrong ${index}" }) { token }`).join('\n');
    const response = await supergraph.request(`mutation($email: String!) { ${aliases} }`, { email });
    const throttled = (response.errors ?? []).filter((error) => error.extensions?.code === 'RATE_LIMITED');
    expect(throttled.map((error) => error.path?.[0]).sort()).toEqual(['a5', 'a6', 'a7']);
    expect(await attempt(supergraph, email, PASSWORD)).toBe('throttled');
  });

  it('lets no more than five of a burst of concurrent guesses be checked', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => attempt(supergraph, email, 'wrong password')));
    expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === 'throttled')).toHaveLength(15);
  });
});

describe('per client address', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    // Behind a trusted proxy, X-Forwarded-For tells clients apart on one machine.
    supergraph = await startSupergraph({ seedCatalogue: false, trustProxy: true, signInThrottle: { maxFailuresPerEmail: 5, maxFailuresPerAddress: 3, windowSeconds: 900 } });
  });
  afterAll(() => supergraph?.stop());

  it('throttles an address that fails across many emails, and only that address', async () => {
    const attacker = { 'x-forwarded-for': '203.0.113.7' };
    for (let guess = 0; guess < 3; guess++) expect(await attempt(supergraph, `target-${guess}@example.com`, 'guess', attacker)).toBe('refused');
    expect(await attempt(supergraph, 'target-3@example.com', 'guess', attacker)).toBe('throttled');

    const customer = await supergraph.registerCustomer({ password: PASSWORD });
    expect(await attempt(supergraph, customer.email, PASSWORD, attacker)).toBe('throttled');
    expect(await attempt(supergraph, customer.email, PASSWORD, { 'x-forwarded-for': '198.51.100.23' })).toBe('signed-in');
  });
});

describe('without a trusted proxy', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ seedCatalogue: false, signInThrottle: { maxFailuresPerEmail: 5, maxFailuresPerAddress: 3, windowSeconds: 900 } });
  });
  afterAll(() => supergraph?.stop());

  it('ignores X-Forwarded-For, so a client cannot dodge the address limit by inventing addresses', async () => {
    for (let guess = 0; guess < 3; guess++) {
      expect(await attempt(supergraph, `spoof-${guess}@example.com`, 'guess', { 'x-forwarded-for': `192.0.2.${guess}` })).toBe('refused');
    }
    expect(await attempt(supergraph, 'spoof-3@example.com', 'guess', { 'x-forwarded-for': '192.0.2.99' })).toBe('throttled');
  });
});
