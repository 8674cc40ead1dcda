import { generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { TOKEN_SETTINGS } from './supergraph.js';

/** Builds tokens the way an attacker or a buggy client would, to check that they are refused. */
export async function signedToken(privateKeyPem: string, claims: { sub: string; role?: string; iss?: string; aud?: string; expiresIn?: string | number; kid?: string }): Promise<string> {
  const key = await importPKCS8(privateKeyPem, 'ES256');
  return new SignJWT({ role: claims.role ?? 'CUSTOMER' })
    .setProtectedHeader({ alg: 'ES256', ...(claims.kid ? { kid: claims.kid } : {}) })
    .setSubject(claims.sub)
    .setIssuer(claims.iss ?? TOKEN_SETTINGS.issuer)
    .setAudience(claims.aud ?? TOKEN_SETTINGS.audience)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '15m')
    .sign(key);
}

export async function tokenFromAnotherKey(sub: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ role: 'ADMIN' })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject(sub)
    .setIssuer(TOKEN_SETTINGS.issuer)
    .setAudience(TOKEN_SETTINGS.audience)
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(privateKey);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`) claiming to be an admin. */
export function unsignedToken(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub, role: 'ADMIN', iss: TOKEN_SETTINGS.issuer, aud: TOKEN_SETTINGS.audience, iat: now, exp: now + 900 })}.`;
}

/** HS256 "signed" with the public key as the HMAC secret: the classic algorithm-confusion attack. */
export async function hmacWithPublicKey(publicKeyPem: string, sub: string): Promise<string> {
  return new SignJWT({ role: 'ADMIN' })
    .setProtectedHeader({ alg: 'HS256' })
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
