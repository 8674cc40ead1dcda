import { inArray, sql } from 'drizzle-orm';
import type { Executor } from './database.js';
import { signInAttempts } from './schema.js';

/** The login throttle's counters (see `signInAttempts`). */
export class SignInAttemptRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Counts one more attempt under each key, starting a new window for keys whose window is over,
   * in one statement; returns each key's attempts and window start after counting.
   */
  async count(keys: string[], windowSeconds: number): Promise<Array<{ key: string; attempts: number; windowStartedAt: Date }>> {
    const expired = sql`${signInAttempts.windowStartedAt} < now() - make_interval(secs => ${windowSeconds})`;
    return this.db
      .insert(signInAttempts)
      .values(keys.map((key) => ({ key, attempts: 1 })))
      .onConflictDoUpdate({
        target: signInAttempts.key,
        set: {
          attempts: sql`case when ${expired} then 1 else ${signInAttempts.attempts} + 1 end`,
          windowStartedAt: sql`case when ${expired} then now() else ${signInAttempts.windowStartedAt} end`,
        },
      })
      .returning({ key: signInAttempts.key, attempts: signInAttempts.attempts, windowStartedAt: signInAttempts.windowStartedAt });
  }

  /** Forgets the counts under these keys (after a successful sign-in for its email). */
  async forget(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.db.delete(signInAttempts).where(inArray(signInAttempts.key, keys));
  }

  /** Takes back one attempt under this key (a success from an address is no failure). */
  async takeBack(key: string): Promise<void> {
    await this.db
      .update(signInAttempts)
      .set({ attempts: sql`greatest(${signInAttempts.attempts} - 1, 0)` })
      .where(sql`${signInAttempts.key} = ${key}`);
  }

  /** Drops counters whose window is over, so the table does not grow with every guessed email. */
  async pruneExpired(windowSeconds: number): Promise<void> {
    await this.db.delete(signInAttempts).where(sql`${signInAttempts.windowStartedAt} < now() - make_interval(secs => ${windowSeconds})`);
  }
}
