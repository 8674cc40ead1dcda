import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { CallerKeys, createServiceCredentials, generateServiceKey, keyIdOf, publicKeyOf, type ServiceName } from '@greencart/platform';
import { TOKEN_SETTINGS } from './supergraph.js';

/** A fresh ES256 key pair in PEM, as accounts would be configured with. */
export async function newSigningKeyPair(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { privateKeyPem: await exportPKCS8(pair.privateKey), publicKeyPem: await exportSPKI(pair.publicKey) };
}

/**
 * Builds tokens the way an attacker or a buggy client would, to check that they are refused.
 * The header names the signing key's own kid unless `kid` says otherwise (`null`: no kid at all),
 * so a token with one bad claim is refused for that claim alone.
 */
export async function signedToken(privateKeyPem: string, claims: { sub: string; role?: string; iss?: string; aud?: string; expiresIn?: string | number; kid?: string | null }): Promise<string> {
  const key = await importPKCS8(privateKeyPem, 'ES256');
  const kid = claims.kid === undefined ? await keyIdOf(publicKeyOf(privateKeyPem)) : claims.kid;
  return new SignJWT({ role: claims.role ?? 'CUSTOMER' })
    .setProtectedHeader({ alg: 'ES256', ...(kid === null ? {} : { kid }) })
    .setSubject(claims.sub)
    .setIssuer(claims.iss ?? TOKEN_SETTINGS.issuer)
    .setAudience(claims.aud ?? TOKEN_SETTINGS.audience)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '15m')
    .sign(key);
}

/**
 * An admin token signed by a key GreenCart never published: under that key's own kid (an unknown
 * kid), or under `kid`, such as the current key's (a signature that does not match).
 */
export async function tokenFromAnotherKey(sub: string, options: { kid?: string } = {}): Promise<string> {
  const other = await newSigningKeyPair();
  return signedToken(other.privateKeyPem, { sub, role: 'ADMIN', kid: options.kid });
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`) claiming to be an admin, under `kid` when given. */
export function unsignedToken(sub: string, kid?: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: 'none', typ: 'JWT', ...(kid ? { kid } : {}) })}.${base64url({ sub, role: 'ADMIN', iss: TOKEN_SETTINGS.issuer, aud: TOKEN_SETTINGS.audience, iat: now, exp: now + 900 })}.`;
}

/** HS256 "signed" with the public key as the HMAC secret, under that key's kid: the classic algorithm-confusion attack. */
export async function hmacWithPublicKey(publicKeyPem: string, sub: string): Promise<string> {
  return new SignJWT({ role: 'ADMIN' })
    .setProtectedHeader({ alg: 'HS256', kid: await keyIdOf(publicKeyPem) })
    .setSubject(sub)
    .setIssuer(TOKEN_SETTINGS.issuer)
    .setAudience(TOKEN_SETTINGS.audience)
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(new TextEncoder().encode(publicKeyPem));
}

/** The same token with one character of its payload changed (role flipped to ADMIN). */
export function tamperedToken(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
  return `${header}.${base64url({ ...claims, role: 'ADMIN' })}.${signature}`;
}

/**
 * A service token claiming to come from `caller` but signed with a key that is not the caller's:
 * what a compromised sibling, or anyone inside the network, could make.
 */
export async function serviceTokenFromAnotherKey(caller: ServiceName, audience: ServiceName): Promise<string> {
  const credentials = await createServiceCredentials({ serviceName: caller, signingKey: await generateServiceKey(), callerKeys: await CallerKeys.load({}) });
  return credentials.token(audience);
}
