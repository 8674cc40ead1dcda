import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from '../src/auth/verified-tokens.js';

describe('VerifiedTokens', () => {
  const now = 1_000_000;

  it('remembers a token until maxAgeMs, then forgets it', () => {
    const tokens = new VerifiedTokens<string>({ maxAgeMs: 30_000, maxEntries: 10 });
    tokens.set('a', 'alice', now + 900_000, now);
    expect(tokens.get('a', now + 29_999)).toBe('alice');
    expect(tokens.get('a', now + 30_000)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it("never past the token's own expiry", () => {
    const tokens = new VerifiedTokens<string>({ maxAgeMs: 30_000, maxEntries: 10 });
    tokens.set('a', 'alice', now + 5_000, now);
    expect(tokens.get('a', now + 4_999)).toBe('alice');
    expect(tokens.get('a', now + 5_000)).toBeUndefined();
  });

  it('keeps nothing already expired, or when maxAgeMs is 0', () => {
    const expired = new VerifiedTokens<string>({ maxAgeMs: 30_000, maxEntries: 10 });
    expired.set('a', 'alice', now - 1, now);
    expect(expired.size).toBe(0);
    const off = new VerifiedTokens<string>({ maxAgeMs: 0, maxEntries: 10 });
    off.set('a', 'alice', now + 60_000, now);
    expect(off.get('a', now)).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const tokens = new VerifiedTokens<number>({ maxAgeMs: 30_000, maxEntries: 3 });
    for (let i = 0; i < 5; i++) tokens.set(`t${i}`, i, now + 60_000, now);
    expect(tokens.size).toBe(3);
    expect(tokens.get('t0', now)).toBeUndefined();
    expect(tokens.get('t1', now)).toBeUndefined();
    expect([tokens.get('t2', now), tokens.get('t3', now), tokens.get('t4', now)]).toEqual([2, 3, 4]);
  });
});
