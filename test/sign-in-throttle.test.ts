import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SIGN_IN_THROTTLE } from '@greencart/accounts';
import { ADMIN, startSupergraph, type TestSupergraph } from './support/supergraph.js';

const LOGIN = /* GraphQL */ `
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      userErrors {
        code
      }
    }
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

/** One request with `count` aliased logins for `email`, each with a wrong password; returns the aliases that were RATE_LIMITED. */
async function aliasedGuesses(supergraph: TestSupergraph, email: string, count: number, headers: Record<string, string> = {}) {
  const aliases = Array.from({ length: count }, (_, index) => `a${index}: login(input: { email: $email, password: "wrong ${index}" }) { token }`).join('\n');
  const response = await supergraph.request(`mutation($email: String!) { ${aliases} }`, { email }, { headers });
  const throttled = (response.errors ?? []).filter((error) => error.extensions?.code === 'RATE_LIMITED');
  expect(throttled).toHaveLength((response.errors ?? []).length);
  return throttled.map((error) => String(error.path?.[0])).sort();
}

/** Headers that a trusted proxy sends for a client at `address`. */
const from = (address: string) => ({ 'x-forwarded-for': address });

/** The throttle's statements on the accounts database, leaving out the occasional pruning of expired counters. */
const throttleStatements = (supergraph: TestSupergraph) => supergraph.statements.accounts.statements.filter((statement) => statement.includes('sign_in_attempts') && !/^\s*delete\b/i.test(statement));

describe('from one client address, with the default limits (5 failures in a row per address and email)', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ seedCatalogue: false });
  });
  afterAll(() => supergraph?.stop());

  it('lets the address fail five times for an email, then refuses it even the right password with RATE_LIMITED', async () => {
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
    expect(await aliasedGuesses(supergraph, email, 8)).toEqual(['a5', 'a6', 'a7']);
    expect(await attempt(supergraph, email, PASSWORD)).toBe('throttled');
  });

  it('lets no more than five of a burst of concurrent guesses be checked', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => attempt(supergraph, email, 'wrong password')));
    expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === 'throttled')).toHaveLength(15);
  });

  it('counts an attempt in one statement, and settles it, failed or succeeded, in one more', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    supergraph.statements.accounts.reset();
    expect(await attempt(supergraph, email, 'wrong password')).toBe('refused');
    expect(throttleStatements(supergraph)).toHaveLength(2);
    supergraph.statements.accounts.reset();
    expect(await attempt(supergraph, email, PASSWORD)).toBe('signed-in');
    expect(throttleStatements(supergraph)).toHaveLength(2);
  });

  it('tells concurrent correct sign-ins the truth: each signs in or is asked to wait a second, and the next sign-in succeeds at once', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    const answers = await Promise.all(Array.from({ length: 6 }, () => supergraph.request(LOGIN, { input: { email, password: PASSWORD } })));
    const waits = answers.map((answer) => answer.errors?.[0]?.extensions?.retryAfterSeconds as number | undefined);
    console.info(
      `six correct sign-ins at once: ${answers.filter((answer) => answer.data?.login?.token).length} signed in; waits asked of the others: ${JSON.stringify(waits.filter((wait) => wait !== undefined))} s; messages: ${JSON.stringify([...new Set(answers.flatMap((answer) => answer.errors?.map((error) => error.message) ?? []))])}`,
    );
    for (const [index, answer] of answers.entries()) {
      if (answer.data?.login?.token) continue;
      expect(answer.errors?.[0]?.extensions?.code, `attempt ${index}`).toBe('RATE_LIMITED');
      expect(waits[index], `attempt ${index}`).toBeLessThanOrEqual(2);
      expect(answer.errors?.[0]?.message, `attempt ${index}`).not.toMatch(/minutes/);
    }
    expect(await attempt(supergraph, email, PASSWORD)).toBe('signed-in');
  });

  it('still lets no more than five concurrent guesses be checked when they come after failures, and then asks for the whole window', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    for (let failure = 0; failure < 3; failure++) expect(await attempt(supergraph, email, 'wrong password')).toBe('refused');
    const answers = await Promise.all(Array.from({ length: 10 }, () => supergraph.request(LOGIN, { input: { email, password: 'wrong password' } })));
    const checked = answers.filter((answer) => answer.data?.login?.userErrors?.[0]?.code === 'INVALID_CREDENTIALS');
    expect(checked).toHaveLength(2);
    // Five failures settled: the right password waits for the window, and is told so.
    const after = await supergraph.request(LOGIN, { input: { email, password: PASSWORD } });
    expect(after.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(after.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(DEFAULT_SIGN_IN_THROTTLE.windowSeconds - 60);
  });
});

describe('from several client addresses, with the default limits', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    // Behind a trusted proxy, X-Forwarded-For tells clients apart on one machine.
    supergraph = await startSupergraph({ seedCatalogue: false, trustProxy: true });
  });
  afterAll(() => supergraph?.stop());

  it('throttles the address that failed five times for an account, while another address signs in to it', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    for (let failure = 0; failure < 5; failure++) expect(await attempt(supergraph, email, 'wrong password', from('203.0.113.10'))).toBe('refused');
    expect(await attempt(supergraph, email, PASSWORD, from('203.0.113.10'))).toBe('throttled');

    expect(await attempt(supergraph, email, PASSWORD, from('198.51.100.10'))).toBe('signed-in');
    // The other address's success is no reason to trust the first one again.
    expect(await attempt(supergraph, email, PASSWORD, from('203.0.113.10'))).toBe('throttled');
  });

  it('throttles the address that sent ten aliased logins for an account in one request, and only that address', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    expect(await aliasedGuesses(supergraph, email, 10, from('203.0.113.11'))).toEqual(['a5', 'a6', 'a7', 'a8', 'a9']);
    expect(await attempt(supergraph, email, PASSWORD, from('203.0.113.11'))).toBe('throttled');
    expect(await attempt(supergraph, email, PASSWORD, from('198.51.100.11'))).toBe('signed-in');
  });

  it('does not let one anonymous request of ten aliased logins for the administrator keep the administrator out', async () => {
    expect(await aliasedGuesses(supergraph, ADMIN.email, 10, from('203.0.113.12'))).toEqual(['a5', 'a6', 'a7', 'a8', 'a9']);
    expect(await attempt(supergraph, ADMIN.email, ADMIN.password, from('198.51.100.12'))).toBe('signed-in');
  });

  it("resets only the succeeding address's count for the account", async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    for (const address of ['203.0.113.13', '198.51.100.13']) {
      for (let failure = 0; failure < 4; failure++) expect(await attempt(supergraph, email, 'wrong password', from(address))).toBe('refused');
    }
    expect(await attempt(supergraph, email, PASSWORD, from('198.51.100.13'))).toBe('signed-in');

    expect(await attempt(supergraph, email, 'wrong password', from('203.0.113.13'))).toBe('refused');
    expect(await attempt(supergraph, email, PASSWORD, from('203.0.113.13'))).toBe('throttled');
    for (let failure = 0; failure < 5; failure++) expect(await attempt(supergraph, email, 'wrong password', from('198.51.100.13'))).toBe('refused');
    expect(await attempt(supergraph, email, PASSWORD, from('198.51.100.13'))).toBe('throttled');
  });
});

describe('the ceiling per account, over all addresses', () => {
  const CEILING = 10;
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ seedCatalogue: false, trustProxy: true, signInThrottle: { ...DEFAULT_SIGN_IN_THROTTLE, maxFailuresPerAccount: CEILING } });
  });
  afterAll(() => supergraph?.stop());

  it('throttles an account for every address once failures spread over addresses pass it, and leaves other accounts alone', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    const bystander = await supergraph.registerCustomer({ password: PASSWORD });
    for (const address of ['203.0.113.20', '203.0.113.21']) {
      for (let failure = 0; failure < 5; failure++) expect(await attempt(supergraph, email, 'wrong password', from(address))).toBe('refused');
    }
    expect(await attempt(supergraph, email, 'wrong password', from('203.0.113.22'))).toBe('throttled');
    expect(await attempt(supergraph, email, PASSWORD, from('198.51.100.20'))).toBe('throttled');
    expect(await attempt(supergraph, bystander.email, PASSWORD, from('198.51.100.20'))).toBe('signed-in');
  });

  it('cannot be reached from one address, however often it tries', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    const outcomes = [];
    for (let guess = 0; guess < 3 * CEILING; guess++) outcomes.push(await attempt(supergraph, email, 'wrong password', from('203.0.113.23')));
    expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(5);
    expect(await attempt(supergraph, email, PASSWORD, from('198.51.100.23'))).toBe('signed-in');
  });

  it('does not count successful sign-ins', async () => {
    const { email } = await supergraph.registerCustomer({ password: PASSWORD });
    for (let signIn = 0; signIn < CEILING + 2; signIn++) expect(await attempt(supergraph, email, PASSWORD, from(`198.51.100.${100 + signIn}`))).toBe('signed-in');
  });

  it('lets no more than the ceiling of a concurrent burst from many addresses be checked', async () => {
    const email = `burst-${Date.now()}@example.com`;
    const outcomes = await Promise.all(Array.from({ length: 3 * CEILING }, (_, index) => attempt(supergraph, email, 'guess', from(`192.0.2.${index + 1}`))));
    expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(CEILING);
    expect(outcomes.filter((outcome) => outcome === 'throttled')).toHaveLength(2 * CEILING);
  });
});

describe('per client address, across emails', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ seedCatalogue: false, trustProxy: true, signInThrottle: { ...DEFAULT_SIGN_IN_THROTTLE, maxFailuresPerAddress: 3 } });
  });
  afterAll(() => supergraph?.stop());

  it('throttles an address that fails across many emails, and only that address', async () => {
    const attacker = from('203.0.113.7');
    for (let guess = 0; guess < 3; guess++) expect(await attempt(supergraph, `target-${guess}@example.com`, 'guess', attacker)).toBe('refused');
    expect(await attempt(supergraph, 'target-3@example.com', 'guess', attacker)).toBe('throttled');

    const customer = await supergraph.registerCustomer({ password: PASSWORD });
    expect(await attempt(supergraph, customer.email, PASSWORD, attacker)).toBe('throttled');
    expect(await attempt(supergraph, customer.email, PASSWORD, from('198.51.100.23'))).toBe('signed-in');
  });
});

describe('without a trusted proxy', () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ seedCatalogue: false, signInThrottle: { ...DEFAULT_SIGN_IN_THROTTLE, maxFailuresPerAddress: 3 } });
  });
  afterAll(() => supergraph?.stop());

  it('ignores X-Forwarded-For, so a client cannot dodge the address limit by inventing addresses', async () => {
    for (let guess = 0; guess < 3; guess++) {
      expect(await attempt(supergraph, `spoof-${guess}@example.com`, 'guess', from(`192.0.2.${guess}`))).toBe('refused');
    }
    expect(await attempt(supergraph, 'spoof-3@example.com', 'guess', from('192.0.2.99'))).toBe('throttled');
  });
});
