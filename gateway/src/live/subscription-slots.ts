import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '@greencart/platform';
import { FAIL_FAST_REDIS_OPTIONS } from '../rate-limits.js';

/** One subscription's place in its customer's limit, given back once when the subscription ends (or never starts). */
export interface SubscriptionSlot {
  release(): void;
}

/** The per-customer subscription limit: slots are taken before a subscription does any work. */
export interface SubscriptionSlots {
  /** A slot for one more of the customer's subscriptions, or undefined when they hold the limit already. */
  reserve(customer: string): Promise<SubscriptionSlot | undefined>;
  close(): Promise<void>;
}

/** How long a gateway's slots outlive its last heartbeat in Redis: a crashed gateway's are gone within this. */
const SLOT_TTL_MS = 60_000;
const HEARTBEAT_MS = SLOT_TTL_MS / 3;
const REDIS_CONNECT_TIMEOUT_MS = 1_000;

/**
 * In this process's memory. The count is checked and taken in one synchronous step, so subscribes
 * racing on several connections cannot all pass the check before any is counted.
 */
export function memorySlots(limit: number): SubscriptionSlots & { take(customer: string): SubscriptionSlot | undefined } {
  const held = new Map<string, number>();
  const take = (customer: string): SubscriptionSlot | undefined => {
    const count = held.get(customer) ?? 0;
    if (count >= limit) return undefined;
    held.set(customer, count + 1);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        const left = (held.get(customer) ?? 1) - 1;
        if (left > 0) held.set(customer, left);
        else held.delete(customer);
      },
    };
  };
  return { take, reserve: async (customer) => take(customer), close: async () => {} };
}

// One atomic step in Redis: forget expired slots, refuse at the limit, else take one that expires unless refreshed.
const RESERVE = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

// The heartbeat: this gateway's slots of one customer live another TTL.
const REFRESH = `
local now = redis.call('TIME')
local expires = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expires, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/**
 * In Redis, for every gateway replica together: each customer has a sorted set of their slots
 * (`<gateway instance>:<n>`), scored by when each expires. A gateway refreshes its own every
 * 20 s and each lives 60 s, so a crashed gateway's slots stop counting within a minute. While
 * Redis does not answer, slots are taken from this gateway's memory (the limit then holds per
 * gateway, as without Redis), warned about once per outage.
 */
export async function redisSlots(limit: number, url: string, logger: Logger): Promise<SubscriptionSlots> {
  const where = new URL(url).host;
  const redis = new Redis(url, FAIL_FAST_REDIS_OPTIONS);
  redis.on('error', (error: Error) => logger.debug('Redis connection error', { redis: where, error: error.message }));
  await once(redis, 'ready', { signal: AbortSignal.timeout(REDIS_CONNECT_TIMEOUT_MS) }).catch(() => {});
  const instance = randomUUID();
  const fallback = memorySlots(limit);
  const held = new Map<string, Set<string>>();
  let sequence = 0;
  let outage = false;
  const key = (customer: string) => `greencart:subscriptions:${customer}`;
  const fellBack = (error: unknown) => {
    if (outage) return;
    outage = true;
    logger.warn('Redis does not answer: this gateway counts subscriptions per customer in its own memory until it does', {
      redis: where,
      error: error instanceof Error ? error.message : String(error),
    });
  };

  const heartbeat = setInterval(() => {
    const pipeline = redis.pipeline();
    for (const [customer, members] of held) pipeline.eval(REFRESH, 1, key(customer), SLOT_TTL_MS, ...members);
    if (held.size > 0) pipeline.exec().catch(fellBack);
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    async reserve(customer) {
      const member = `${instance}:${++sequence}`;
      let taken: unknown;
      try {
        taken = await redis.eval(RESERVE, 1, key(customer), member, limit, SLOT_TTL_MS);
      } catch (error) {
        fellBack(error);
        return fallback.take(customer);
      }
      if (outage) {
        outage = false;
        logger.info('Redis answers again: subscriptions per customer are counted for every gateway together', { redis: where });
      }
      if (taken !== 1) return undefined;
      const members = held.get(customer) ?? new Set();
      members.add(member);
      held.set(customer, members);
      return {
        release() {
          if (!members.delete(member)) return;
          if (members.size === 0) held.delete(customer);
          // Not given back (Redis away): it expires with the next missed heartbeat instead.
          redis.zrem(key(customer), member).catch(() => {});
        },
      };
    },
    async close() {
      clearInterval(heartbeat);
      const pipeline = redis.pipeline();
      for (const [customer, members] of held) pipeline.zrem(key(customer), ...members);
      await pipeline.exec().catch(() => {});
      redis.disconnect();
    },
  };
}
