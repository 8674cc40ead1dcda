import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { GraphQLError as GraphQLErrorType } from 'graphql';
import { HeaderMap } from '@apollo/server';
import { Redis, type RedisOptions } from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ErrorCode, type AuthenticatedUser, type Logger } from '@greencart/platform';

// Apollo's own (CommonJS) copy of graphql: Apollo passes its GraphQLErrors through as they are.
const { GraphQLError } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** A limit as operators set it: `burst` requests at once, `perSecond` on average. */
export interface RateLimit {
  burst: number;
  perSecond: number;
}

export interface RateLimitSettings {
  /** Per client address (the socket's, or a trusted proxy's X-Forwarded-For; see TRUST_PROXY). */
  perAddress: RateLimit;
  /** Per signed-in customer (the verified token's subject), from whatever address. */
  perCustomer: RateLimit;
}

/** The contract's defaults: one address may send 100 requests at once and 100 a second. */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  perAddress: { burst: 100, perSecond: 100 },
  perCustomer: { burst: 100, perSecond: 100 },
};

/**
 * The fixed window a limit is counted in: `points` requests per `duration` seconds, from a key's
 * first request. A window of `burst` requests over burst ÷ perSecond seconds lets a client send its
 * burst at once and `perSecond` on average, in one atomic Redis call per check.
 * rate-limiter-flexible's BurstyRateLimiter was the other choice: it adds a burst window on top of
 * a per-second one, so the average is the rate *plus* the burst (and a refusal costs two calls).
 * What a fixed window gives up against a token bucket: a client may send a burst at the end of one
 * window and another at the start of the next. Redis counts windows in whole seconds, so the
 * duration is rounded up (the average may fall a little under `perSecond`, never above it), and is
 * at least a second: a rate above the burst cannot be kept, and env.ts refuses it.
 */
export function rateLimitWindow(limit: RateLimit): { points: number; duration: number } {
  // Less a hair for floating point: 3 / 0.1 is 30.000000000000004.
  return { points: limit.burst, duration: Math.max(1, Math.ceil(limit.burst / limit.perSecond - 1e-9)) };
}

/** How long the gateway waits for Redis: to connect, and for one command's answer. */
const REDIS_CONNECT_TIMEOUT_MS = 1_000;
const REDIS_COMMAND_TIMEOUT_MS = 250;
/** Reconnection attempts back off from 100 ms, doubling, to one every 2 s. */
const redisRetryDelay = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 2_000);

/** A Redis connection whose commands fail fast while Redis is away (the caller falls back to its memory); it reconnects by itself. */
export const FAIL_FAST_REDIS_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  retryStrategy: redisRetryDelay,
};

export interface RateLimiterOptions {
  /** Where the limits live, shared by every gateway replica (redis:// or rediss://); unset: this process's memory. */
  redisUrl?: string;
  logger: Logger;
  /** The gateway's metrics registry, for greencart_rate_limit_fallbacks_total. */
  registry: Registry;
}

/** The gateway's rate limits: see createRateLimiter. */
export interface GatewayRateLimiter {
  /** Counts a request from `clientAddress`; throws RATE_LIMITED once the address is over its limit. */
  checkAddress(clientAddress: string | undefined): Promise<void>;
  /** Counts a signed-in customer's request; throws RATE_LIMITED once the customer is over their limit. */
  checkCustomer(user: AuthenticatedUser | undefined): Promise<void>;
  /**
   * Counts `points` more requests for the address and the signed-in customer without refusing
   * anything now: work one request set off beyond itself (a new subscription's reads), which
   * their next requests are refused sooner for.
   */
  charge(clientAddress: string | undefined, user: AuthenticatedUser | undefined, points: number): Promise<void>;
  /** Closes the connection to Redis, if any. */
  close(): Promise<void>;
}

/** Counts one request for `key`: 0 when it may go, otherwise the whole seconds until it may (at least 1). */
type Take = (key: string) => Promise<number>;
/** Counts `points` more for `key`, refusing nothing. */
type Charge = (key: string, points: number) => Promise<void>;

function secondsToWait(rejection: unknown): number {
  // Anything else is a bug or a store failure with no fallback: it becomes an unexpected error.
  if (!(rejection instanceof RateLimiterRes)) throw rejection;
  return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
}

function rateLimitedError(message: string, retryAfterSeconds: number): GraphQLErrorType {
  const error = new GraphQLError(message, { extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds } });
  // Apollo answers with `extensions.http` (its HeaderMap); graphql-yoga's typings, loaded too, declare another shape.
  (error.extensions as Record<string, unknown>).http = { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) };
  return error;
}

/**
 * The gateway's rate limits, checked as each request's context is made: per client address
 * before the token is verified, per customer after. A request over either is refused with
 * RATE_LIMITED (HTTP 429, `Retry-After`, `extensions.retryAfterSeconds`) before Apollo parses it.
 * With `redisUrl` the counts live in Redis, so the limits hold across gateway replicas; while Redis
 * does not answer, each gateway counts in its own memory. Without it, they live in this process's memory.
 */
export async function createRateLimiter(settings: RateLimitSettings, options: RateLimiterOptions): Promise<GatewayRateLimiter> {
  const limits = { address: rateLimitWindow(settings.perAddress), customer: rateLimitWindow(settings.perCustomer) };
  const shared = options.redisUrl ? await connectToRedis(options.redisUrl, options) : undefined;
  const counter = (limit: keyof typeof limits): { take: Take; charge: Charge } => {
    const window = { keyPrefix: `greencart:rate-limit:${limit}`, ...limits[limit] };
    if (shared) return shared.limiter(limit, window);
    const memory = new RateLimiterMemory(window);
    return { take: (key) => memory.consume(key).then(() => 0, secondsToWait), charge: async (key, points) => void (await memory.penalty(key, points)) };
  };
  const { take: takeAddress, charge: chargeAddress } = counter('address');
  const { take: takeCustomer, charge: chargeCustomer } = counter('customer');
  return {
    async charge(clientAddress, user, points) {
      if (points <= 0) return;
      await Promise.all([chargeAddress(clientAddress ?? 'unknown', points), user ? chargeCustomer(user.id, points) : undefined]);
    },
    async checkAddress(clientAddress) {
      const wait = await takeAddress(clientAddress ?? 'unknown');
      if (wait) throw rateLimitedError(`Too many requests from this address: try again in ${wait} s.`, wait);
    },
    async checkCustomer(user) {
      if (!user) return;
      const wait = await takeCustomer(user.id);
      if (wait) throw rateLimitedError(`Too many requests for this customer: try again in ${wait} s.`, wait);
    },
    close: async () => shared?.close(),
  };
}

/**
 * The one connection to Redis, and the limiters that count on it. Every command fails fast while
 * Redis is away (no offline queue, no retry of a command cut off, short timeouts), and the
 * limiter's insurance, a RateLimiterMemory, answers instead: the gateway counts alone until Redis
 * is back. ioredis reconnects by itself, backing off.
 */
async function connectToRedis(url: string, options: RateLimiterOptions) {
  // Logged without any password the URL may hold.
  const where = new URL(url).host;
  const redis = new Redis(url, FAIL_FAST_REDIS_OPTIONS);
  // Connection errors show as fallbacks (warned about once per outage); ioredis retries on its own.
  redis.on('error', (error: Error) => options.logger.debug('Redis connection error', { redis: where, error: error.message }));
  const fallbacks = new Counter({
    name: 'greencart_rate_limit_fallbacks_total',
    help: 'Rate-limit checks the gateway answered from its own memory because Redis did not answer, by limit.',
    labelNames: ['limit'],
    registers: [options.registry],
  });

  let outageSince: number | undefined;
  const fellBack = () => {
    if (outageSince !== undefined) return;
    outageSince = Date.now();
    options.logger.warn('Redis does not answer: this gateway counts rate limits in its own memory until it does', { redis: where });
  };
  const answered = () => {
    if (outageSince === undefined) return;
    options.logger.info('Redis answers again: rate limits are shared again', { redis: where, outageSeconds: Math.round((Date.now() - outageSince) / 1000) });
    outageSince = undefined;
  };

  // Started without Redis, the gateway serves all the same, with the fallback.
  await once(redis, 'ready', { signal: AbortSignal.timeout(REDIS_CONNECT_TIMEOUT_MS) }).catch(() => {});
  if (redis.status === 'ready') options.logger.info('rate limits are counted in Redis, for every gateway together', { redis: where });
  else fellBack();

  return {
    limiter(limit: string, window: { keyPrefix: string; points: number; duration: number }): { take: Take; charge: Charge } {
      const fallback = new FallbackLimiter(window);
      const limiter = new RateLimiterRedis({
        ...window,
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: fallback,
        // A key over its limit stays refused until its window ends: this gateway refuses it from
        // memory until then, without asking Redis (a flood costs no round trips).
        inMemoryBlockOnConsumed: window.points + 1,
      });
      const take: Take = async (key) => {
        // A fresh options object per call: the insurance is handed the same one when it answers.
        const call = {};
        const { wait, outcome } = await limiter.consume(key, 1, call).then(
          (allowed) => ({ wait: 0, outcome: allowed }),
          (rejection: unknown) => ({ wait: secondsToWait(rejection), outcome: rejection as RateLimiterRes }),
        );
        if (fallback.answered.has(call)) {
          fallbacks.inc({ limit });
          fellBack();
          // A connection that looks open but did not answer in time (a network partition): drop
          // it, so that the next checks fall back at once instead of each waiting the timeout.
          if (redis.status === 'ready') redis.disconnect(true);
        } else if (outcome.consumedPoints > 0) {
          // (A key refused from this gateway's memory consumed nothing, and says nothing of Redis.)
          answered();
        }
        return wait;
      };
      // Answered by the insurance too while Redis is away; a charge that fails is a count lost, nothing to refuse.
      const charge: Charge = (key, points) =>
        limiter.penalty(key, points).then(
          () => undefined,
          () => undefined,
        );
      return { take, charge };
    },
    close: async () => redis.disconnect(),
  };
}

/** The in-memory limiter a Redis one falls back to; it notes the calls it answered (by their options object). */
class FallbackLimiter extends RateLimiterMemory {
  readonly answered = new WeakSet<object>();

  override consume(key: string | number, pointsToConsume?: number, options?: { [key: string]: unknown }): Promise<RateLimiterRes> {
    if (options) this.answered.add(options);
    return super.consume(key, pointsToConsume, options);
  }
}
