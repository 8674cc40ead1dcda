import { rateLimited } from '@greencart/platform';
import type { AccountsDb } from '../db/database.js';
import { SignInAttemptRepository } from '../db/sign-in-attempt-repository.js';

export interface SignInThrottleSettings {
  /** Failed sign-ins in a row one email may have before it is throttled. */
  maxFailuresPerEmail: number;
  /** Failed sign-ins one client address may have in a window. */
  maxFailuresPerAddress: number;
  /** How long a window lasts, from its first counted attempt. */
  windowSeconds: number;
}

export const DEFAULT_SIGN_IN_THROTTLE: SignInThrottleSettings = { maxFailuresPerEmail: 5, maxFailuresPerAddress: 100, windowSeconds: 900 };

/** About one admission in this many also prunes expired counters. */
const PRUNE_EVERY = 100;

/**
 * Limits password guessing, per email and per client address. Every `login` resolver call counts
 * (so aliases and batches count one by one), and it counts before the password is checked, so a
 * burst of concurrent guesses cannot pass the limit. A success resets its email's count and takes
 * its address's attempt back.
 */
export class SignInThrottle {
  private readonly attempts: SignInAttemptRepository;

  constructor(
    db: AccountsDb,
    private readonly settings: SignInThrottleSettings,
  ) {
    this.attempts = new SignInAttemptRepository(db);
  }

  /** Counts an attempt; throws RATE_LIMITED when its email or its address is over the limit. */
  async admit(email: string, clientAddress: string | undefined): Promise<void> {
    if (Math.random() * PRUNE_EVERY < 1) await this.attempts.pruneExpired(this.settings.windowSeconds);
    const counted = await this.attempts.count(keysOf(email, clientAddress), this.settings.windowSeconds);
    const over = counted.filter(({ key, attempts }) => attempts > (key.startsWith('email:') ? this.settings.maxFailuresPerEmail : this.settings.maxFailuresPerAddress));
    if (over.length === 0) return;
    const windowEnds = Math.max(...over.map(({ windowStartedAt }) => windowStartedAt.getTime() + this.settings.windowSeconds * 1000));
    const retryAfterSeconds = Math.max(1, Math.ceil((windowEnds - Date.now()) / 1000));
    throw rateLimited(`Too many sign-in attempts. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`, retryAfterSeconds);
  }

  async succeeded(email: string, clientAddress: string | undefined): Promise<void> {
    await this.attempts.forget([emailKey(email)]);
    if (clientAddress) await this.attempts.takeBack(addressKey(clientAddress));
  }
}

const emailKey = (email: string) => `email:${email}`;
const addressKey = (address: string) => `address:${address}`;
const keysOf = (email: string, clientAddress: string | undefined) => (clientAddress ? [emailKey(email), addressKey(clientAddress)] : [emailKey(email)]);
