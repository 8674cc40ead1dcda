import { SignJWT, createLocalJWKSet, createRemoteJWKSet, importPKCS8, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import { unauthenticated } from '../errors.js';
import { isUuid } from '../pagination.js';
import { USER_TOKEN_ALGORITHM, type PublishedKeySet, type SigningKey } from './signing-keys.js';
import { VerifiedTokens } from './verified-tokens.js';

export type Role = 'CUSTOMER' | 'ADMIN';

/** The signed-in customer as every service sees it, taken from a verified token. */
export interface AuthenticatedUser {
  id: string;
  role: Role;
}

export interface UserTokenSettings {
  issuer: string;
  audience: string;
}

/** Signs access tokens for customers (accounts only), stamped with the signing key's kid. */
export async function createUserTokenIssuer(options: UserTokenSettings & { signingKey: SigningKey; ttlSeconds: number }) {
  const privateKey = await importPKCS8(options.signingKey.privateKeyPem, USER_TOKEN_ALGORITHM);
  const { kid } = options.signingKey;
  return {
    ttlSeconds: options.ttlSeconds,
    issue(user: AuthenticatedUser): Promise<string> {
      return new SignJWT({ role: user.role })
        .setProtectedHeader({ alg: USER_TOKEN_ALGORITHM, kid, typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds}s`)
        .sign(privateKey);
    },
  };
}
export type UserTokenIssuer = Awaited<ReturnType<typeof createUserTokenIssuer>>;

/** Checks a bearer token: the user it names, or UNAUTHENTICATED. */
export interface UserTokenVerifier {
  verify(token: string): Promise<AuthenticatedUser>;
}

/**
 * Raised when the published keys cannot be fetched (accounts down, a timeout, a broken answer).
 * The token may well be valid, so this is our failure, not the client's: it is not UNAUTHENTICATED
 * but an unexpected error, logged and masked as INTERNAL_SERVER_ERROR.
 */
export class SigningKeysUnavailableError extends Error {
  readonly code = 'SIGNING_KEYS_UNAVAILABLE';
}

/** Accounts: verifies against its own key set, in memory. */
export function createLocalUserTokenVerifier(options: UserTokenSettings & { keySet: PublishedKeySet }): UserTokenVerifier {
  return verifierWithKeys(options, createLocalJWKSet(options.keySet), VERIFIED_TOKEN_MAX_AGE_MS);
}

/** How a verifier outside accounts keeps the published keys. */
export interface RemoteKeySetOptions {
  /** Accounts' `/.well-known/jwks.json`. */
  jwksUrl: string;
  /** How long a fetched set is used before it is fetched again (so a removed key stops verifying). */
  cacheSeconds: number;
  /** The least time between two fetches caused by an unknown kid (so forged kids cannot flood accounts). */
  refetchCooldownSeconds: number;
  timeoutMs?: number;
}

const DEFAULT_JWKS_TIMEOUT_MS = 5_000;

/**
 * The gateway and the other subgraphs: verifies against the keys accounts publishes, cached and
 * fetched again when a token names a kid the cache does not hold (a key added since).
 */
export function createRemoteUserTokenVerifier(options: UserTokenSettings & RemoteKeySetOptions): UserTokenVerifier {
  const remoteKeys = createRemoteJWKSet(new URL(options.jwksUrl), {
    cacheMaxAge: options.cacheSeconds * 1000,
    cooldownDuration: options.refetchCooldownSeconds * 1000,
    timeoutDuration: options.timeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS,
  });
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remoteKeys(header, token);
    } catch (error) {
      // No published key for this kid is the token's problem; anything else is the fetch's.
      if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new SigningKeysUnavailableError(`could not fetch the token signing keys from ${options.jwksUrl}: ${reason}`, { cause: error });
    }
  };
  // A verified token is remembered no longer than the keys it was checked against.
  return verifierWithKeys(options, getKey, Math.min(VERIFIED_TOKEN_MAX_AGE_MS, options.cacheSeconds * 1000));
}

/** How long a verified token is taken on trust without checking its signature again. */
const VERIFIED_TOKEN_MAX_AGE_MS = 30_000;
/** Enough for every customer active in half a minute on one process; each entry is a few hundred bytes. */
const VERIFIED_TOKEN_MAX_ENTRIES = 20_000;

/**
 * Verifies with the algorithm pinned, a `kid` required, and `iss`, `aud`, `exp` checked.
 * Any token failure is UNAUTHENTICATED; the reason is not told to the client.
 */
function verifierWithKeys(settings: UserTokenSettings, keys: JWTVerifyGetKey, rememberForMs: number): UserTokenVerifier {
  const verified = new VerifiedTokens<AuthenticatedUser>({ maxAgeMs: rememberForMs, maxEntries: VERIFIED_TOKEN_MAX_ENTRIES });
  const getKey: JWTVerifyGetKey = (header, token) => {
    // Without a kid, jose would try the only key of a one-key set: require it so every token names its key.
    if (typeof header.kid !== 'string' || header.kid === '') throw new joseErrors.JWKSNoMatchingKey('the token names no key (kid)');
    return keys(header, token);
  };
  return {
    async verify(token: string): Promise<AuthenticatedUser> {
      const known = verified.get(token);
      if (known) return known;
      try {
        const { payload } = await jwtVerify(token, getKey, {
          algorithms: [USER_TOKEN_ALGORITHM],
          issuer: settings.issuer,
          audience: settings.audience,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        const role = payload.role;
        // Every service uses `sub` as a customer id in SQL: a non-UUID must fail here, not as a 500 there.
        if (typeof payload.sub !== 'string' || !isUuid(payload.sub) || (role !== 'CUSTOMER' && role !== 'ADMIN')) {
          throw new joseErrors.JWTClaimValidationFailed('unexpected claims', payload);
        }
        const user: AuthenticatedUser = { id: payload.sub, role };
        verified.set(token, user, payload.exp! * 1000);
        return user;
      } catch (error) {
        if (error instanceof SigningKeysUnavailableError) throw error;
        throw unauthenticated('The access token is invalid or has expired.', 401);
      }
    },
  };
}

/** Reads `Authorization: Bearer <token>`; undefined when absent, UNAUTHENTICATED when malformed. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".', 401);
  return match[1];
}

/** Verifies the request's bearer token if there is one: undefined for anonymous requests. */
export async function authenticate(verifier: UserTokenVerifier, authorizationHeader: string | undefined | null): Promise<AuthenticatedUser | undefined> {
  const token = bearerToken(authorizationHeader);
  return token === undefined ? undefined : verifier.verify(token);
}
