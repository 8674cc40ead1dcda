import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  jwtVerify,
  errors as joseErrors,
} from 'jose';
import { unauthenticated } from '../errors.js';
import { loadOrCreateFile } from '../data-dir.js';

/** Customer tokens are ES256 JWTs: accounts signs with the private key, everyone verifies. */
export const USER_TOKEN_ALGORITHM = 'ES256';

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

export interface UserTokenKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * Key pair from the environment when given; otherwise generated once under the data folder
 * (`keys/`), so that every local process and every restart verifies the same tokens.
 */
export async function loadUserTokenKeys(options: {
  privateKeyPem?: string;
  publicKeyPem?: string;
  dataDir: string;
}): Promise<UserTokenKeyPair & { generated: boolean }> {
  if (options.privateKeyPem && options.publicKeyPem) {
    return { privateKeyPem: options.privateKeyPem, publicKeyPem: options.publicKeyPem, generated: false };
  }
  const privateFile = await loadOrCreateFile(join(options.dataDir, 'keys', 'user-token-private.pem'), async () => {
    const { privateKey } = await generateKeyPair(USER_TOKEN_ALGORITHM, { extractable: true });
    return exportPKCS8(privateKey);
  });
  // Derived from whichever private key won a race between starting processes, so the two match.
  const publicFile = await loadOrCreateFile(join(options.dataDir, 'keys', 'user-token-public.pem'), () => publicKeyFromPrivate(privateFile.value));
  return { privateKeyPem: privateFile.value, publicKeyPem: publicFile.value, generated: privateFile.created };
}

function publicKeyFromPrivate(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

/** The key id published with a key and stamped on its tokens: the key's JWK thumbprint. */
export async function keyIdOf(publicKeyPem: string): Promise<string> {
  const key = await importSPKI(publicKeyPem, USER_TOKEN_ALGORITHM, { extractable: true });
  return calculateJwkThumbprint(await exportJWK(key));
}

/** Signs access tokens for customers (accounts only). */
export async function createUserTokenIssuer(options: UserTokenSettings & { privateKeyPem: string; publicKeyPem: string; ttlSeconds: number }) {
  const privateKey = await importPKCS8(options.privateKeyPem, USER_TOKEN_ALGORITHM);
  const kid = await keyIdOf(options.publicKeyPem);
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

/**
 * Verifies a bearer token with the algorithm pinned and `iss`, `aud`, `exp` checked.
 * Any failure is UNAUTHENTICATED; the reason is not told to the client.
 */
export async function createUserTokenVerifier(options: UserTokenSettings & { publicKeyPem: string }) {
  const publicKey = await importSPKI(options.publicKeyPem, USER_TOKEN_ALGORITHM);
  return {
    async verify(token: string): Promise<AuthenticatedUser> {
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          algorithms: [USER_TOKEN_ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        const role = payload.role;
        if (typeof payload.sub !== 'string' || (role !== 'CUSTOMER' && role !== 'ADMIN')) {
          throw new joseErrors.JWTClaimValidationFailed('unexpected claims', payload);
        }
        return { id: payload.sub, role };
      } catch {
        throw unauthenticated('The access token is invalid or has expired.', 401);
      }
    },
  };
}
export type UserTokenVerifier = Awaited<ReturnType<typeof createUserTokenVerifier>>;

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
