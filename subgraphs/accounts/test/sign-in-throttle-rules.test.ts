import { describe, expect, it } from 'vitest';
import {
  CONCURRENT_RETRY_SECONDS,
  decideSignInAttempt,
  DEFAULT_SIGN_IN_THROTTLE,
  leastMaxFailuresPerAccount,
  signInThrottleKeys,
  type CountedSignInAttempt,
} from '../src/services/sign-in-throttle-rules.js';

const settings = { maxFailuresPerAddressAndEmail: 5, maxFailuresPerAccount: 20, maxFailuresPerAddress: 50, windowSeconds: 900 };
/** A counter after this attempt was counted: by default it alone is in flight, the rest settled. */
const counter = (attempts: number, secondsLeft = 600, inFlight = 1) => ({ attempts, inFlight, secondsLeft });
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
    expect(decideSignInAttempt(counted(change), settings)).toEqual({ throttled: true, reason: 'failures', retryAfterSeconds: 300 });
  });

  it('throttles on the address limits alone when the account was not counted', () => {
    expect(decideSignInAttempt(counted({ pair: counter(6, 120), account: undefined }), settings)).toEqual({ throttled: true, reason: 'failures', retryAfterSeconds: 120 });
  });

  it('waits for the last of the windows over their limits, in whole seconds, and never less than one', () => {
    expect(decideSignInAttempt(counted({ pair: counter(6, 120.2), account: counter(21, 700.4), address: counter(1, 899) }), settings)).toEqual({
      throttled: true,
      reason: 'failures',
      retryAfterSeconds: 701,
    });
    expect(decideSignInAttempt(counted({ pair: counter(6, -0.5) }), settings)).toEqual({ throttled: true, reason: 'failures', retryAfterSeconds: 1 });
  });
});

describe('decideSignInAttempt, with attempts still in flight', () => {
  it('throttles an attempt over the limit only because others are being checked for a second, not for the window', () => {
    // Six correct sign-ins at once: the sixth finds five in flight and none settled.
    expect(decideSignInAttempt(counted({ pair: counter(6, 899, 6) }), settings)).toEqual({ throttled: true, reason: 'concurrent', retryAfterSeconds: CONCURRENT_RETRY_SECONDS });
    // Three failures settled, three attempts in flight: the limit is not used up yet.
    expect(decideSignInAttempt(counted({ pair: counter(6, 899, 3) }), settings)).toMatchObject({ reason: 'concurrent' });
  });

  it('waits for the window once settled attempts alone use the limit up, whatever is in flight', () => {
    expect(decideSignInAttempt(counted({ pair: counter(9, 450, 4) }), settings)).toEqual({ throttled: true, reason: 'failures', retryAfterSeconds: 450 });
    // One counter used up outweighs another that is only busy.
    expect(decideSignInAttempt(counted({ pair: counter(6, 100, 6), account: counter(21, 700, 1) }), settings)).toEqual({ throttled: true, reason: 'failures', retryAfterSeconds: 700 });
  });
});

describe('the defaults', () => {
  it('let one address fail five times in a row for an email, and keep the account ceiling out of one address’s reach', () => {
    expect(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAddressAndEmail).toBe(5);
    expect(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAccount).toBeGreaterThanOrEqual(leastMaxFailuresPerAccount(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAddressAndEmail));
  });
});
