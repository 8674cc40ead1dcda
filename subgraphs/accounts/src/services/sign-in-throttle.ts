import { rateLimited } from '@greencart/platform';
import type { AccountsDb } from '../db/database.js';
import { SignInAttemptRepository } from '../db/sign-in-attempt-repository.js';
import { decideSignInAttempt, signInThrottleKeys, type SignInThrottleKeys, type SignInThrottleSettings } from './sign-in-throttle-rules.js';

export { DEFAULT_SIGN_IN_THROTTLE, type SignInThrottleSettings } from './sign-in-throttle-rules.js';

/** An attempt that was counted, and the counters to settle it under. */
export interface AdmittedSignIn {
  keys: SignInThrottleKeys;
  accountCounted: boolean;
}

/** About one admission in this many also prunes expired counters. */
const PRUNE_EVERY = 100;

/**
 * Limits password guessing without letting anyone lock a customer out: failures slow down the
 * address they come from, for that email (and across all emails), while an email's own ceiling,
 * counted over all addresses, stays beyond what one address can reach. Every `login` resolver call
 * counts (so aliases and batches count one by one), and it counts before the password is checked,
 * so a burst of concurrent guesses cannot pass the limit.
 */
export class SignInThrottle {
  private readonly attempts: SignInAttemptRepository;

  constructor(
    db: AccountsDb,
    private readonly settings: SignInThrottleSettings,
  ) {
    this.attempts = new SignInAttemptRepository(db);
  }

  /**
   * Counts an attempt, in flight until `succeeded` or `failed` settles it; throws RATE_LIMITED when
   * its address (for this email or in all) or its email is over the limit, saying truly how long to wait.
   */
  async admit(email: string, clientAddress: string | undefined): Promise<AdmittedSignIn> {
    if (Math.random() * PRUNE_EVERY < 1) await this.attempts.pruneExpired(this.settings.windowSeconds);
    const keys = signInThrottleKeys(email, clientAddress);
    const counted = await this.attempts.count(keys, this.settings, this.settings.windowSeconds);
    const admitted = { keys, accountCounted: counted.account !== undefined };
    const decision = decideSignInAttempt(counted, this.settings);
    if (!decision.throttled) return admitted;
    await this.failed(admitted);
    const { retryAfterSeconds } = decision;
    throw rateLimited(
      decision.reason === 'concurrent'
        ? `Too many sign-in attempts at once for this account: try again in ${retryAfterSeconds} s.`
        : `Too many sign-in attempts. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`,
      retryAfterSeconds,
    );
  }

  /** Resets this address's count for this email, and takes the attempt back from the address and the email. */
  async succeeded(attempt: AdmittedSignIn): Promise<void> {
    await this.attempts.succeeded(attempt.keys);
  }

  /** The attempt failed (or was refused): it stays counted, and is no longer in flight. */
  async failed(attempt: AdmittedSignIn): Promise<void> {
    await this.attempts.settled(attempt.keys, { account: attempt.accountCounted });
  }
}
