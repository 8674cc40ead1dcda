import { GraphQLError } from 'graphql';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8 } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { authenticate, bearerToken, createUserTokenIssuer, createUserTokenVerifier, keyIdOf, type UserTokenVerifier } from '../src/auth/user-tokens.js';

const SETTINGS = { issuer: 'greencart-accounts', audience: 'greencart' };
const CUSTOMER = { id: '0b7e3c8a-5a4d-4f7e-9a53-2c1f3a9d6e10', role: 'CUSTOMER' as const };

async function keyPair() {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { privateKeyPem: await exportPKCS8(pair.privateKey), publicKeyPem: await exportSPKI(pair.publicKey) };
}

/** Awaits `promise` and returns the error it rejects with, which must be a GraphQLError. */
async function rejection(promise: Promise<unknown>): Promise<GraphQLError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  return error as GraphQLError;
}

async function expectUnauthenticated(promise: Promise<unknown>): Promise<void> {
  const error = await rejection(promise);
  expect(error.extensions.code).toBe('UNAUTHENTICATED');
}

/** A token signed with `privateKeyPem`, with claims overridable to build invalid ones. */
async function handMadeToken(privateKeyPem: string, claims: Record<string, unknown>, options: { expiresIn?: string; issuer?: string; audience?: string; subject?: string | null } = {}) {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(options.issuer ?? SETTINGS.issuer)
    .setAudience(options.audience ?? SETTINGS.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '15m');
  if (options.subject !== null) jwt = jwt.setSubject(options.subject ?? CUSTOMER.id);
  return jwt.sign(await importPKCS8(privateKeyPem, 'ES256'));
}

let keys: { privateKeyPem: string; publicKeyPem: string };
let verifier: UserTokenVerifier;

beforeAll(async () => {
  keys = await keyPair();
  verifier = await createUserTokenVerifier({ ...SETTINGS, publicKeyPem: keys.publicKeyPem });
});

describe('issuing and verifying user tokens', () => {
  it('verifies what the issuer signed, giving back the user', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, ...keys, ttlSeconds: 900 });
    expect(await verifier.verify(await issuer.issue(CUSTOMER))).toEqual(CUSTOMER);
    const admin = { id: '7d1f6c2e-0a51-4c43-8d0e-1f7a2b3c4d5e', role: 'ADMIN' as const };
    expect(await verifier.verify(await issuer.issue(admin))).toEqual(admin);
  });

  it('signs ES256 tokens with the key id, subject, issuer, audience and expiry', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, ...keys, ttlSeconds: 900 });
    const token = await issuer.issue(CUSTOMER);
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('ES256');
    expect(header.kid).toBe(await keyIdOf(keys.publicKeyPem));
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: CUSTOMER.id, role: 'CUSTOMER', iss: SETTINGS.issuer, aud: SETTINGS.audience });
    expect(claims.exp! - claims.iat!).toBe(900);
  });

  it('gives different keys different key ids', async () => {
    expect(await keyIdOf((await keyPair()).publicKeyPem)).not.toBe(await keyIdOf(keys.publicKeyPem));
  });

  it('refuses a token from an issuer with another name', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, issuer: 'someone-else', ...keys, ttlSeconds: 900 });
    await expectUnauthenticated(verifier.verify(await issuer.issue(CUSTOMER)));
  });

  it('refuses a token for another audience', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, audience: 'another-api', ...keys, ttlSeconds: 900 });
    await expectUnauthenticated(verifier.verify(await issuer.issue(CUSTOMER)));
  });

  it('refuses an expired token', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, ...keys, ttlSeconds: -60 });
    await expectUnauthenticated(verifier.verify(await issuer.issue(CUSTOMER)));
  });

  it('refuses a token signed by another key', async () => {
    const other = await keyPair();
    const issuer = await createUserTokenIssuer({ ...SETTINGS, ...other, ttlSeconds: 900 });
    await expectUnauthenticated(verifier.verify(await issuer.issue(CUSTOMER)));
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, ...keys, ttlSeconds: 900 });
    const [header, payload, signature] = (await issuer.issue(CUSTOMER)).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url')}.${signature}`;
    await expectUnauthenticated(verifier.verify(forged));
  });

  it('refuses other algorithms: none, and HS256 keyed with the public key', async () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: CUSTOMER.id, role: 'ADMIN', iss: SETTINGS.issuer, aud: SETTINGS.audience, iat: now, exp: now + 900 };
    await expectUnauthenticated(verifier.verify(`${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`));
    const hmac = await new SignJWT({ role: 'ADMIN' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(CUSTOMER.id)
      .setIssuer(SETTINGS.issuer)
      .setAudience(SETTINGS.audience)
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(new TextEncoder().encode(keys.publicKeyPem));
    await expectUnauthenticated(verifier.verify(hmac));
  });

  it('refuses a correctly signed token without a subject or with an unknown role', async () => {
    await expectUnauthenticated(verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }, { subject: null })));
    await expectUnauthenticated(verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'SUPERUSER' })));
    await expectUnauthenticated(verifier.verify(await handMadeToken(keys.privateKeyPem, {})));
  });

  it('accepts a hand-made token with the right claims (so the refusals above are about the claims)', async () => {
    expect(await verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }))).toEqual(CUSTOMER);
  });

  it('refuses malformed tokens', async () => {
    for (const token of ['', 'not-a-jwt', 'a.b.c', 'a.b']) await expectUnauthenticated(verifier.verify(token));
  });

  it('does not tell the client why a token was refused', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, ...keys, ttlSeconds: -60 });
    const expired = await rejection(verifier.verify(await issuer.issue(CUSTOMER)));
    const malformed = await rejection(verifier.verify('not-a-jwt'));
    expect(expired.message).toBe(malformed.message);
  });
});

describe('bearerToken', () => {
  it('treats a missing header as anonymous', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(null)).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
  });

  it('reads the token of a bearer header, in any letter case of the scheme', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('BEARER   abc.def.ghi  ')).toBe('abc.def.ghi');
  });

  it.each(['Basic YTpi', 'Bearer', 'Bearer ', 'Bearer a b', 'abc.def.ghi', 'Token abc'])('refuses %j with UNAUTHENTICATED', (header) => {
    let thrown: unknown;
    try {
      bearerToken(header);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GraphQLError);
    expect((thrown as GraphQLError).extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('authenticate', () => {
  it('is anonymous without a header, the user with a valid token, and UNAUTHENTICATED with a bad one', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, ...keys, ttlSeconds: 900 });
    expect(await authenticate(verifier, undefined)).toBeUndefined();
    expect(await authenticate(verifier, `Bearer ${await issuer.issue(CUSTOMER)}`)).toEqual(CUSTOMER);
    await expectUnauthenticated(authenticate(verifier, 'Bearer not-a-jwt'));
  });
});
