import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, TokenBuckets } from '@greencart/gateway';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

const QUERY = '{ categories { id } }';
// Slow enough to refill that no token comes back while a test runs.
const SLOW = 0.01;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string; retryAfterSeconds?: number } }> };
}

async function send(supergraph: TestSupergraph, options: { address?: string; token?: string; query?: string } = {}): Promise<Answer> {
  const response = await fetch(`${supergraph.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.address ? { 'x-forwarded-for': options.address } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ query: options.query ?? QUERY }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
}

const passed = (answers: Answer[]) => answers.filter((answer) => answer.status === 200 && !answer.body.errors);
const limited = (answers: Answer[]) => answers.filter((answer) => answer.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');

function expectRateLimited(answer: Answer, about: RegExp) {
  expect(answer.status).toBe(429);
  expect(answer.body.data ?? null).toBeNull();
  expect(answer.body.errors).toHaveLength(1);
  const [error] = answer.body.errors!;
  expect(error!.message).toMatch(about);
  expect(error!.extensions?.code).toBe('RATE_LIMITED');
  expect(error!.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(answer.retryAfter).toBe(String(error!.extensions?.retryAfterSeconds));
}

describe('token buckets', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('at the defaults, let one address send 100 at once and 100 a second, and no more', () => {
    const time = clock();
    const buckets = new TokenBuckets(DEFAULT_RATE_LIMITS.perAddress, time.now);
    for (let request = 0; request < 100; request++) expect(buckets.take('203.0.113.1')).toBe(0);
    expect(buckets.take('203.0.113.1')).toBe(1);
    // Sustained: 100 a second, for five seconds.
    for (let second = 0; second < 5; second++) {
      for (let request = 0; request < 100; request++) {
        time.advance(10);
        expect(buckets.take('203.0.113.1')).toBe(0);
      }
    }
    expect(buckets.take('203.0.113.1')).toBe(1);
    expect(buckets.take('203.0.113.2')).toBe(0);
  });

  it('say how long to wait for the next token', () => {
    const time = clock();
    const buckets = new TokenBuckets({ burst: 2, perSecond: 0.1 }, time.now);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 10]);
    time.advance(7_500);
    expect(buckets.take('a')).toBe(3);
    time.advance(2_500);
    expect(buckets.take('a')).toBe(0);
  });

  it('forget keys whose bucket has filled up again', () => {
    const time = clock();
    const buckets = new TokenBuckets({ burst: 5, perSecond: 1 }, time.now);
    buckets.take('a');
    buckets.take('b');
    expect(buckets.size).toBe(2);
    time.advance(11_000);
    buckets.take('c');
    expect(buckets.size).toBe(1);
  });
});

describe('at the gateway', () => {
  let defaults: TestSupergraph;
  let proxied: TestSupergraph;
  let direct: TestSupergraph;

  beforeAll(async () => {
    [defaults, proxied, direct] = await Promise.all([
      startSupergraph(),
      // Behind a trusted proxy, X-Forwarded-For tells clients apart on one machine.
      startSupergraph({ trustProxy: true, rateLimits: { perAddress: { burst: 5, perSecond: SLOW }, perCustomer: { burst: 3, perSecond: SLOW } } }),
      startSupergraph({ rateLimits: { perAddress: { burst: 5, perSecond: SLOW }, perCustomer: DEFAULT_RATE_LIMITS.perCustomer } }),
    ]);
  });
  afterAll(() => Promise.all([defaults?.stop(), proxied?.stop(), direct?.stop()]));

  it('by default, lets one address send a burst of 100 concurrent requests', async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => send(defaults, { query: '{ __typename }' })));
    expect(passed(answers)).toHaveLength(100);
  });

  it('lets an address send its burst, then refuses it with RATE_LIMITED (HTTP 429, Retry-After) before any subgraph works', async () => {
    const address = '203.0.113.1';
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(proxied, { address })));
    expect(passed(answers)).toHaveLength(5);
    expect(limited(answers)).toHaveLength(3);
    for (const answer of limited(answers)) expectRateLimited(answer, /^Too many requests from this address: try again in \d+ s\.$/);

    Object.values(proxied.statements).forEach((counter) => counter.reset());
    expectRateLimited(await send(proxied, { address }), /address/);
    // Refused before the token is even looked at.
    expectRateLimited(await send(proxied, { address, token: 'not-a-token' }), /address/);
    expect(Object.values(proxied.statements).reduce((sum, counter) => sum + counter.count, 0)).toBe(0);
  });

  it('counts each address on its own (the first X-Forwarded-For entry, behind a trusted proxy)', async () => {
    for (let request = 0; request < 5; request++) expect(passed([await send(proxied, { address: '203.0.113.2, 10.0.0.1' })])).toHaveLength(1);
    expectRateLimited(await send(proxied, { address: '203.0.113.2' }), /address/);
    expect(passed([await send(proxied, { address: '203.0.113.3' })])).toHaveLength(1);
    expect(passed([await send(proxied, { address: '203.0.113.4, 203.0.113.2' })])).toHaveLength(1);
  });

  it('limits a signed-in customer across addresses, by the customer the token names', async () => {
    const { token, email } = await registerFrom(proxied, '198.51.100.1');
    const answers = await Promise.all(Array.from({ length: 5 }, (_, index) => send(proxied, { token, address: `198.51.100.${10 + index}`, query: '{ me { id } }' })));
    expect(passed(answers)).toHaveLength(3);
    expect(limited(answers)).toHaveLength(2);
    for (const answer of limited(answers)) expectRateLimited(answer, /^Too many requests for this customer: try again in \d+ s\.$/);

    // A new token of the same customer shares the limit; another customer, or nobody, does not.
    const again = await send(proxied, { address: '198.51.100.2', query: `mutation { login(input: { email: "${email}", password: "${PASSWORD}" }) { token } }` });
    const newToken = (again.body.data as { login: { token: string } }).login.token;
    expectRateLimited(await send(proxied, { token: newToken, address: '198.51.100.3', query: '{ me { id } }' }), /customer/);
    const other = await registerFrom(proxied, '198.51.100.4');
    expect(passed([await send(proxied, { token: other.token, address: '198.51.100.10', query: '{ me { id } }' })])).toHaveLength(1);
    expect(passed([await send(proxied, { address: '198.51.100.11' })])).toHaveLength(1);
  });

  it('without a trusted proxy, ignores X-Forwarded-For: a client cannot invent addresses to escape the limit', async () => {
    const answers: Answer[] = [];
    for (let request = 0; request < 8; request++) answers.push(await send(direct, { address: `192.0.2.${request}` }));
    expect(passed(answers)).toHaveLength(5);
    expect(limited(answers)).toHaveLength(3);
  });
});

const PASSWORD = 'correct horse battery';

async function registerFrom(supergraph: TestSupergraph, address: string): Promise<{ token: string; email: string }> {
  const email = `rate-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const answer = await send(supergraph, {
    address,
    query: `mutation { register(input: { email: "${email}", password: "${PASSWORD}", name: "Rate" }) { token userErrors { code } } }`,
  });
  const { register } = answer.body.data as { register: { token: string; userErrors: unknown[] } };
  expect(register.userErrors).toEqual([]);
  return { token: register.token, email };
}
