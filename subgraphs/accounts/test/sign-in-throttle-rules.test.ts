import { describe, expect, it } from 'vitest';
import { decideSignInAttempt, DEFAULT_SIGN_IN_THROTTLE, leastMaxFailuresPerAccount, signInThrottleKeys, type CountedSignInAttempt } from '../src/services/sign-in-throttle-rules.js';

const settings = { maxFailuresPerAddressAndEmail: 5, maxFailuresPerAccount: 20, maxFailuresPerAddress: 50, windowSeconds: 900 };
const counter = (attempts: number, secondsLeft = 600) => ({ attempts, secondsLeft });
const counted = (change: Partial<CountedSignInAttempt> = {}): CountedSignInAttempt => ({ pair: counter(1), address: counter(1), account: counter(1), ...change });

describe('signInThrottleKeys', () => {
  it('keys an attempt by address and email, by address, and by email', () => {
    expect(signInThrottleKeys('ada@example.com', '203.0.113.7')).toEqual({
      pair: 'pair:203.0.113.7|ada@example.com',
      address: 'address:203.0.113.7',
      account: 'account:ada@example.com',
    });
  });

  it('puts every attempt without an address under one shared "unknown" address', () => {
    expect(signInThrottleKeys('ada@example.com', undefined)).toEqual({ pair: 'pair:unknown|ada@example.com', address: 'address:unknown', account: 'account:ada@example.com' });
  });
});

describe('decideSignInAttempt', () => {
  it('lets an attempt through up to each limit, counted attempt included', () => {
    expect(decideSignInAttempt(counted({ pair: counter(5), address: counter(50), account: counter(20) }), settings)).toEqual({ throttled: false });
  });

  it.each([
    ['its address for this email', { pair: counter(6, 300) }],
    ['its address across emails', { address: counter(51, 300) }],
    ['its email from all addresses', { account: counter(21, 300) }],
  ])('throttles an attempt over the limit of %s until that window is over', (_, change) => {
    expect(decideSignInAttempt(counted(change), settings)).toEqual({ throttled: true, retryAfterSeconds: 300 });
  });

  it('throttles on the address limits alone when the account was not counted', () => {
    expect(decideSignInAttempt(counted({ pair: counter(6, 120), account: undefined }), settings)).toEqual({ throttled: true, retryAfterSeconds: 120 });
  });

  it('waits for the last of the windows over their limits, in whole seconds, and never less than one', () => {
    expect(decideSignInAttempt(counted({ pair: counter(6, 120.2), account: counter(21, 700.4), address: counter(1, 899) }), settings)).toEqual({ throttled: true, retryAfterSeconds: 701 });
    expect(decideSignInAttempt(counted({ pair: counter(6, -0.5) }), settings)).toEqual({ throttled: true, retryAfterSeconds: 1 });
  });
});

describe('the defaults', () => {
  it('let one address fail five times in a row for an email, and keep the account ceiling out of one address’s reach', () => {
    expect(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAddressAndEmail).toBe(5);
    expect(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAccount).toBeGreaterThanOrEqual(leastMaxFailuresPerAccount(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAddressAndEmail));
  });
});
