export interface SignInThrottleSettings {
  /** Failed sign-ins in a row one client address may have for one email before it is throttled for that email. */
  maxFailuresPerAddressAndEmail: number;
  /** Failed sign-ins one email may have in a window from all addresses together: the ceiling for guessing spread over many addresses. */
  maxFailuresPerAccount: number;
  /** Failed sign-ins one client address may have in a window, across all emails. */
  maxFailuresPerAddress: number;
  /** How long a window lasts, from its first counted attempt. */
  windowSeconds: number;
}

export const DEFAULT_SIGN_IN_THROTTLE: SignInThrottleSettings = { maxFailuresPerAddressAndEmail: 5, maxFailuresPerAccount: 100, maxFailuresPerAddress: 100, windowSeconds: 900 };

/**
 * The least per-account ceiling for a given per-(address, email) limit. One address gets at most
 * that many attempts checked per window of its own, and one account window overlaps at most two of
 * them; a ceiling this high is one that a single address cannot reach.
 */
export const leastMaxFailuresPerAccount = (maxFailuresPerAddressAndEmail: number) => 2 * maxFailuresPerAddressAndEmail;

/** Stands in for a missing client address, so that sources without one share counters rather than escape them. */
export const UNKNOWN_ADDRESS = 'unknown';

/** The counters one sign-in attempt is counted under. */
export interface SignInThrottleKeys {
  /** This address's attempts for this email. */
  pair: string;
  /** This address's attempts for any email. */
  address: string;
  /** This email's attempts from any address (only those the address's own limits let through). */
  account: string;
}

/** The keys of an attempt for a normalised email; addresses hold no `|`, so a pair key reads one way only. */
export function signInThrottleKeys(email: string, clientAddress: string | undefined): SignInThrottleKeys {
  const address = clientAddress ?? UNKNOWN_ADDRESS;
  return { pair: `pair:${address}|${email}`, address: `address:${address}`, account: `account:${email}` };
}

/** One counter after an attempt was counted. */
export interface CounterState {
  attempts: number;
  /** Of `attempts`, those whose password check has not finished (this one included); the others are settled. */
  inFlight: number;
  /** Until its window is over. */
  secondsLeft: number;
}

/** The counters after an attempt was counted; `account` is missing when the address's own limits refused it first. */
export interface CountedSignInAttempt {
  pair: CounterState;
  address: CounterState;
  account: CounterState | undefined;
}

/**
 * Why an attempt is throttled: `failures`, its limit is used up by attempts already settled, until
 * the window ends; `concurrent`, only because others are being checked right now: once they are
 * settled (a password check takes well under a second), the next attempt is decided again.
 */
export type SignInThrottleDecision = { throttled: false } | { throttled: true; reason: 'failures' | 'concurrent'; retryAfterSeconds: number };

/** How long an attempt refused for concurrent ones is told to wait: their password checks' time, rounded up. */
export const CONCURRENT_RETRY_SECONDS = 1;

/**
 * Whether a counted attempt may have its password checked, or how long until it may try again.
 * No more attempts than the limit are ever checked at once or in a window; the wait it states is
 * the truth: the window's end when settled attempts used the limit up, a second when only attempts
 * still in flight (six correct sign-ins at once, say) did.
 */
export function decideSignInAttempt(counted: CountedSignInAttempt, settings: SignInThrottleSettings): SignInThrottleDecision {
  const over = [
    [counted.pair, settings.maxFailuresPerAddressAndEmail] as const,
    [counted.address, settings.maxFailuresPerAddress] as const,
    [counted.account, settings.maxFailuresPerAccount] as const,
  ].filter((entry): entry is readonly [CounterState, number] => entry[0] !== undefined && entry[0].attempts > entry[1]);
  if (over.length === 0) return { throttled: false };
  const usedUp = over.filter(([counter, limit]) => counter.attempts - counter.inFlight >= limit).map(([counter]) => counter);
  if (usedUp.length === 0) return { throttled: true, reason: 'concurrent', retryAfterSeconds: CONCURRENT_RETRY_SECONDS };
  return { throttled: true, reason: 'failures', retryAfterSeconds: Math.max(1, Math.ceil(Math.max(...usedUp.map((counter) => counter.secondsLeft)))) };
}
