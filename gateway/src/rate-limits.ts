import { createRequire } from 'node:module';
import type { GraphQLError as GraphQLErrorType } from 'graphql';
import { HeaderMap } from '@apollo/server';
import { ErrorCode, type AuthenticatedUser } from '@greencart/platform';

// Apollo's own (CommonJS) copy of graphql: Apollo passes its GraphQLErrors through as they are.
const { GraphQLError } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
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

/** How often idle buckets are forgotten (a full bucket is the same as none). */
const SWEEP_INTERVAL_MS = 10_000;

/**
 * Token buckets by key, in this process's memory: each key may take `burst` tokens at once, and
 * gets `perSecond` back every second, up to `burst`.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastSweep = now();
  }

  /** Takes a token for `key`: 0 when the request may go, otherwise the whole seconds to wait for the next token. */
  take(key: string): number {
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond));
  }

  /** How many keys have a bucket that is not full. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(key);
    }
  }
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
 */
export function createRateLimiter(settings: RateLimitSettings, now?: () => number) {
  const addresses = new TokenBuckets(settings.perAddress, now);
  const customers = new TokenBuckets(settings.perCustomer, now);
  return {
    checkAddress(clientAddress: string | undefined): void {
      const wait = addresses.take(clientAddress ?? 'unknown');
      if (wait) throw rateLimitedError(`Too many requests from this address: try again in ${wait} s.`, wait);
    },
    checkCustomer(user: AuthenticatedUser | undefined): void {
      if (!user) return;
      const wait = customers.take(user.id);
      if (wait) throw rateLimitedError(`Too many requests for this customer: try again in ${wait} s.`, wait);
    },
  };
}
