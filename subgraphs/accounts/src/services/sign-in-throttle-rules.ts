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
  /** Until its window is over. */
  secondsLeft: number;
}

/** The counters after an attempt was counted; `account` is missing when the address's own limits refused it first. */
export interface CountedSignInAttempt {
  pair: CounterState;
  address: CounterState;
  account: CounterState | undefined;
}

export type SignInThrottleDecision = { throttled: false } | { throttled: true; retryAfterSeconds: number };

/** Whether a counted attempt may have its password checked, or how long until it may try again. */
export function decideSignInAttempt(counted: CountedSignInAttempt, settings: SignInThrottleSettings): SignInThrottleDecision {
  const over = [
    counted.pair.attempts > settings.maxFailuresPerAddressAndEmail ? counted.pair : undefined,
    counted.address.attempts > settings.maxFailuresPerAddress ? counted.address : undefined,
    counted.account && counted.account.attempts > settings.maxFailuresPerAccount ? counted.account : undefined,
  ].filter((counter) => counter !== undefined);
  if (over.length === 0) return { throttled: false };
  return { throttled: true, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(...over.map((counter) => counter.secondsLeft)))) };
}
