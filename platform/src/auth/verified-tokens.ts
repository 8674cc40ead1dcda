/**
 * Tokens already verified, remembered briefly. A client sends the same bearer token with every
 * request, and the gateway and each subgraph it reaches check it again; the signature check (an
 * ECDSA verify for customer tokens) is the dearest step of a small request. Only successes are
 * kept, each until the token's own expiry or `maxAgeMs`, whichever comes first, so a key removed
 * from the published set stops working at most `maxAgeMs` later than it would without the cache.
 * Bounded: past `maxEntries` the oldest entry goes.
 */
export class VerifiedTokens<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  constructor(private readonly options: { maxAgeMs: number; maxEntries: number }) {}

  get(token: string, now = Date.now()): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(token);
    return undefined;
  }

  /** `expiresAtMs`: when the token itself expires (its `exp`, in milliseconds). */
  set(token: string, value: T, expiresAtMs: number, now = Date.now()): void {
    const until = Math.min(expiresAtMs, now + this.options.maxAgeMs);
    if (until <= now || this.options.maxAgeMs <= 0) return;
    this.entries.delete(token);
    this.entries.set(token, { value, until });
    if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
