import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, jwtVerify } from 'jose';
import { loadOrCreateFile } from '../data-dir.js';
import { VerifiedTokens } from './verified-tokens.js';

/**
 * Service-to-service credentials. Every GreenCart process shares one secret; a caller sends a
 * short-lived HS256 token naming itself in this header, so a subgraph knows both that a request
 * comes from inside GreenCart and which service sent it (stock operations accept only orders).
 * A leaked header stops working within minutes; the secret itself never travels.
 */
export const SERVICE_TOKEN_HEADER = 'x-greencart-service-token';
export const SERVICE_NAMES = ['gateway', 'accounts', 'orders', 'products'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const AUDIENCE = 'greencart-internal';
const TOKEN_LIFETIME_SECONDS = 300;
const RENEW_BEFORE_SECONDS = 60;

/** The shared secret from the environment, or generated once under the data folder. */
export async function loadServiceSecret(options: { secret?: string; dataDir: string }): Promise<{ secret: string; generated: boolean }> {
  if (options.secret) return { secret: options.secret, generated: false };
  const file = await loadOrCreateFile(join(options.dataDir, 'secrets', 'service-token-secret'), () => randomBytes(32).toString('base64url'));
  return { secret: file.value.trim(), generated: file.created };
}

export function createServiceCredentials(options: { secret: string; serviceName: ServiceName }) {
  const key = new TextEncoder().encode(options.secret);
  let cached: { token: string; expiresAt: number } | undefined;
  // Each caller reuses its token for minutes: check each one's HMAC once, not on every call.
  const verified = new VerifiedTokens<ServiceName>({ maxAgeMs: 60_000, maxEntries: 1_000 });

  return {
    serviceName: options.serviceName,

    /** A token for outgoing calls, reused until shortly before it expires. */
    async token(): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      if (cached && cached.expiresAt - RENEW_BEFORE_SECONDS > now) return cached.token;
      const expiresAt = now + TOKEN_LIFETIME_SECONDS;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(options.serviceName)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(expiresAt)
        .sign(key);
      cached = { token, expiresAt };
      return token;
    },

    /** The calling service's name, or undefined when the token does not prove one. */
    async verify(token: string | undefined): Promise<ServiceName | undefined> {
      if (!token) return undefined;
      const known = verified.get(token);
      if (known) return known;
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: AUDIENCE, requiredClaims: ['iss', 'exp'] });
        const caller = SERVICE_NAMES.find((name) => name === payload.iss);
        if (caller) verified.set(token, caller, payload.exp! * 1000);
        return caller;
      } catch {
        return undefined;
      }
    },
  };
}
export type ServiceCredentials = ReturnType<typeof createServiceCredentials>;
