import { sql } from 'drizzle-orm';
import type { CountedSignInAttempt, CounterState, SignInThrottleKeys } from '../services/sign-in-throttle-rules.js';
import type { Executor } from './database.js';
import { signInAttempts } from './schema.js';

/** The limits under which an attempt also counts against its account (see `count`). */
export interface AddressLimits {
  maxFailuresPerAddressAndEmail: number;
  maxFailuresPerAddress: number;
}

/** The login throttle's counters (see `signInAttempts`). */
export class SignInAttemptRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Counts one more attempt under the pair and address keys and, when neither is over its limit,
   * under the account key too, in one statement; a counter whose window is over starts a new one.
   * Attempts an address's own limits refuse leave the account alone, so that one address cannot
   * push an account to its ceiling.
   */
  async count(keys: SignInThrottleKeys, limits: AddressLimits, windowSeconds: number): Promise<CountedSignInAttempt> {
    const expired = sql`counter.window_started_at < now() - make_interval(secs => ${windowSeconds})`;
    const countOneMore = sql`on conflict (key) do update set
        attempts = case when ${expired} then 1 else counter.attempts + 1 end,
        in_flight = case when ${expired} then 1 else counter.in_flight + 1 end,
        window_started_at = case when ${expired} then now() else counter.window_started_at end
      returning key, attempts, in_flight, extract(epoch from window_started_at + make_interval(secs => ${windowSeconds}) - now())::float8 as seconds_left`;
    // Reading `counted` in the account's condition also makes the rows lock in one order (pair,
    // address, account), the order `succeeded` keeps too.
    const rows = await this.db.execute<{ key: string; attempts: number; in_flight: number; seconds_left: number }>(sql`
      with counted as (
        insert into ${signInAttempts} as counter (key, attempts, in_flight) values (${keys.pair}, 1, 1), (${keys.address}, 1, 1)
        ${countOneMore}
      ), account_counted as (
        insert into ${signInAttempts} as counter (key, attempts, in_flight)
        select ${keys.account}::text, 1, 1
        where (select count(*) from counted
               where (key = ${keys.pair} and attempts > ${limits.maxFailuresPerAddressAndEmail})
                  or (key = ${keys.address} and attempts > ${limits.maxFailuresPerAddress})) = 0
        ${countOneMore}
      )
      select * from counted union all select * from account_counted`);
    const stateOf = (key: string): CounterState | undefined => {
      const row = rows.find((candidate) => candidate.key === key);
      return row && { attempts: row.attempts, inFlight: row.in_flight, secondsLeft: row.seconds_left };
    };
    const pair = stateOf(keys.pair);
    const address = stateOf(keys.address);
    if (!pair || !address) throw new Error('The sign-in counters were not counted.');
    return { pair, address, account: stateOf(keys.account) };
  }

  /**
   * After a successful sign-in: forgets the pair's count and takes this attempt back from the address
   * and the account (a success is no failure), in flight no more. Each step reads the one before, so
   * the rows lock in the order `count` locks them, and a concurrent attempt cannot deadlock with this one.
   */
  async succeeded(keys: SignInThrottleKeys): Promise<void> {
    await this.db.execute(sql`
      with forgotten as (
        delete from ${signInAttempts} where key = ${keys.pair} returning key
      ), address_taken_back as (
        update ${signInAttempts} set attempts = greatest(attempts - 1, 0), in_flight = greatest(in_flight - 1, 0)
        where key = ${keys.address} and (select count(*) from forgotten) >= 0
        returning key
      )
      update ${signInAttempts} set attempts = greatest(attempts - 1, 0), in_flight = greatest(in_flight - 1, 0)
      where key = ${keys.account} and (select count(*) from address_taken_back) >= 0`);
  }

  /**
   * After a failed or refused attempt: it stays counted, and is in flight no more (settled), under
   * the keys it was counted under (the account only when `account` was counted). Locks in `count`'s order.
   */
  async settled(keys: SignInThrottleKeys, options: { account: boolean }): Promise<void> {
    const settle = sql`set in_flight = greatest(in_flight - 1, 0)`;
    await this.db.execute(sql`
      with pair_settled as (
        update ${signInAttempts} ${settle} where key = ${keys.pair} returning key
      ), address_settled as (
        update ${signInAttempts} ${settle}
        where key = ${keys.address} and (select count(*) from pair_settled) >= 0
        returning key
      )
      update ${signInAttempts} ${settle}
      where key = ${keys.account} and ${options.account} and (select count(*) from address_settled) >= 0`);
  }

  /** Drops counters whose window is over, so the table does not grow with every guessed email. */
  async pruneExpired(windowSeconds: number): Promise<void> {
    await this.db.delete(signInAttempts).where(sql`${signInAttempts.windowStartedAt} < now() - make_interval(secs => ${windowSeconds})`);
  }
}
