import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8 } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildUserTokenKeySet, keyIdOf, publishedKeySet, type PublishedKeySet, type SigningKey } from '../src/auth/signing-keys.js';
import {
  authenticate,
  bearerToken,
  createLocalUserTokenVerifier,
  createRemoteUserTokenVerifier,
  createUserTokenIssuer,
  SigningKeysUnavailableError,
  type UserTokenVerifier,
} from '../src/auth/user-tokens.js';

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

/** The signing key accounts would build from a key pair (with its kid). */
async function signingKeyOf(pair: { privateKeyPem: string }): Promise<SigningKey> {
  return (await buildUserTokenKeySet({ privateKeyPem: pair.privateKeyPem })).signingKey;
}

/** A token signed with `privateKeyPem`, with claims overridable to build invalid ones. */
async function handMadeToken(
  privateKeyPem: string,
  claims: Record<string, unknown>,
  options: { expiresIn?: string; issuer?: string; audience?: string; subject?: string | null; kid?: string | null } = {},
) {
  const kid = options.kid === undefined ? (await signingKeyOf({ privateKeyPem })).kid : options.kid;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', ...(kid === null ? {} : { kid }) })
    .setIssuer(options.issuer ?? SETTINGS.issuer)
    .setAudience(options.audience ?? SETTINGS.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '15m');
  if (options.subject !== null) jwt = jwt.setSubject(options.subject ?? CUSTOMER.id);
  return jwt.sign(await importPKCS8(privateKeyPem, 'ES256'));
}

let keys: { privateKeyPem: string; publicKeyPem: string };
let signingKey: SigningKey;
let verifier: UserTokenVerifier;

beforeAll(async () => {
  keys = await keyPair();
  signingKey = await signingKeyOf(keys);
  verifier = createLocalUserTokenVerifier({ ...SETTINGS, keySet: await publishedKeySet({ signingKey, retiredKeys: [] }) });
});

describe('issuing and verifying user tokens', () => {
  it('verifies what the issuer signed, giving back the user', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, signingKey, ttlSeconds: 900 });
    expect(await verifier.verify(await issuer.issue(CUSTOMER))).toEqual(CUSTOMER);
    const admin = { id: '7d1f6c2e-0a51-4c43-8d0e-1f7a2b3c4d5e', role: 'ADMIN' as const };
    expect(await verifier.verify(await issuer.issue(admin))).toEqual(admin);
  });

  it('signs ES256 tokens with the key id, subject, issuer, audience and expiry', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, signingKey, ttlSeconds: 900 });
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
    const issuer = await createUserTokenIssuer({ ...SETTINGS, issuer: 'someone-else', signingKey, ttlSeconds: 900 });
    await expectUnauthenticated(verifier.verify(await issuer.issue(CUSTOMER)));
  });

  it('refuses a token for another audience', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, audience: 'another-api', signingKey, ttlSeconds: 900 });
    await expectUnauthenticated(verifier.verify(await issuer.issue(CUSTOMER)));
  });

  it('refuses an expired token', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, signingKey, ttlSeconds: -60 });
    await expectUnauthenticated(verifier.verify(await issuer.issue(CUSTOMER)));
  });

  it('refuses a token signed by another key, under its own kid or under ours', async () => {
    const other = await keyPair();
    const issuer = await createUserTokenIssuer({ ...SETTINGS, signingKey: await signingKeyOf(other), ttlSeconds: 900 });
    await expectUnauthenticated(verifier.verify(await issuer.issue(CUSTOMER)));
    await expectUnauthenticated(verifier.verify(await handMadeToken(other.privateKeyPem, { role: 'CUSTOMER' }, { kid: signingKey.kid })));
  });

  it('refuses a correctly signed token that names no key, or a key nobody published', async () => {
    await expectUnauthenticated(verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }, { kid: null })));
    await expectUnauthenticated(verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }, { kid: 'no-such-key' })));
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, signingKey, ttlSeconds: 900 });
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

  it('refuses a correctly signed token whose subject is not a customer id (a UUID)', async () => {
    for (const subject of ['not-a-uuid', '', 'admin', `${CUSTOMER.id} `, `${CUSTOMER.id}x`, "' or 1=1 --"]) {
      await expectUnauthenticated(verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'ADMIN' }, { subject })));
    }
  });

  it('accepts a hand-made token with the right claims (so the refusals above are about the claims)', async () => {
    expect(await verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }))).toEqual(CUSTOMER);
  });

  it('refuses malformed tokens', async () => {
    for (const token of ['', 'not-a-jwt', 'a.b.c', 'a.b']) await expectUnauthenticated(verifier.verify(token));
  });

  it('does not tell the client why a token was refused', async () => {
    const issuer = await createUserTokenIssuer({ ...SETTINGS, signingKey, ttlSeconds: -60 });
    const expired = await rejection(verifier.verify(await issuer.issue(CUSTOMER)));
    const malformed = await rejection(verifier.verify('not-a-jwt'));
    expect(expired.message).toBe(malformed.message);
  });
});

describe('verifying against a key set with retired keys', () => {
  it('accepts tokens of the signing key and of every retired key, and refuses a key that left the set', async () => {
    const [current, retired, removed] = [await keyPair(), await keyPair(), await keyPair()];
    const keySet = await buildUserTokenKeySet({ privateKeyPem: current.privateKeyPem, retiredPublicKeyPems: [retired.publicKeyPem] });
    const rotated = createLocalUserTokenVerifier({ ...SETTINGS, keySet: await publishedKeySet(keySet) });
    for (const pair of [current, retired]) {
      expect(await rotated.verify(await handMadeToken(pair.privateKeyPem, { role: 'CUSTOMER' }))).toEqual(CUSTOMER);
    }
    await expectUnauthenticated(rotated.verify(await handMadeToken(removed.privateKeyPem, { role: 'CUSTOMER' })));
  });
});

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A stand-in for accounts' JWKS endpoint: serves the set the test gives it (503 with none), counting fetches. */
async function serveKeySet(initial: PublishedKeySet | undefined) {
  let keySet = initial;
  let fetches = 0;
  const server: Server = createServer((_request, response) => {
    fetches += 1;
    if (!keySet) return void response.writeHead(503).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keySet));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    publish(next: PublishedKeySet | undefined) {
      keySet = next;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
describe('verifying against the keys accounts publishes', () => {
  const remote = (url: string, cacheSeconds: number, refetchCooldownSeconds: number) => createRemoteUserTokenVerifier({ ...SETTINGS, jwksUrl: url, cacheSeconds, refetchCooldownSeconds });
  const keySetOf = async (signing: { privateKeyPem: string }, retired: Array<{ publicKeyPem: string }> = []) =>
    publishedKeySet(await buildUserTokenKeySet({ privateKeyPem: signing.privateKeyPem, retiredPublicKeyPems: retired.map((pair) => pair.publicKeyPem) }));

  it('fetches the set once and keeps it while it is fresh', async () => {
    const jwks = await serveKeySet(await keySetOf(keys));
    const verifier = remote(jwks.url, 3600, 3600);
    for (let i = 0; i < 3; i++) expect(await verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }))).toEqual(CUSTOMER);
    expect(jwks.fetches).toBe(1);
  });

  it('fetches again when a token names a kid it has not seen, so a newly added key verifies at once', async () => {
    const next = await keyPair();
    const jwks = await serveKeySet(await keySetOf(keys));
    const verifier = remote(jwks.url, 3600, 0);
    await verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }));
    jwks.publish(await keySetOf(next, [keys]));
    expect(await verifier.verify(await handMadeToken(next.privateKeyPem, { role: 'CUSTOMER' }))).toEqual(CUSTOMER);
    expect(await verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }))).toEqual(CUSTOMER);
    expect(jwks.fetches).toBe(2);
  });

  it('does not fetch again within the cooldown, however many unknown kids it is shown', async () => {
    const jwks = await serveKeySet(await keySetOf(keys));
    const verifier = remote(jwks.url, 3600, 3600);
    await verifier.verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }));
    for (let i = 0; i < 3; i++) {
      const stranger = await keyPair();
      await expectUnauthenticated(verifier.verify(await handMadeToken(stranger.privateKeyPem, { role: 'CUSTOMER' })));
    }
    expect(jwks.fetches).toBe(1);
  });

  it('stops accepting a removed key once its cached set has expired', async () => {
    const next = await keyPair();
    const jwks = await serveKeySet(await keySetOf(next, [keys]));
    const verifier = remote(jwks.url, 0, 0);
    const old = await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' });
    expect(await verifier.verify(old)).toEqual(CUSTOMER);
    jwks.publish(await keySetOf(next));
    await expectUnauthenticated(verifier.verify(old));
  });

  it('refuses a token without a kid without asking accounts', async () => {
    const jwks = await serveKeySet(await keySetOf(keys));
    await expectUnauthenticated(remote(jwks.url, 3600, 0).verify(await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' }, { kid: null })));
    expect(jwks.fetches).toBe(0);
  });

  it('does not call a token invalid when the keys cannot be fetched: accounts failing or down', async () => {
    const token = await handMadeToken(keys.privateKeyPem, { role: 'CUSTOMER' });
    const failing = await serveKeySet(undefined);
    const down = await serveKeySet(await keySetOf(keys));
    await down.stop();
    for (const url of [failing.url, down.url]) {
      const error = await remote(url, 3600, 0)
        .verify(token)
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(error).toBeInstanceOf(SigningKeysUnavailableError);
      expect(error).not.toBeInstanceOf(GraphQLError);
    }
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
    const issuer = await createUserTokenIssuer({ ...SETTINGS, signingKey, ttlSeconds: 900 });
    expect(await authenticate(verifier, undefined)).toBeUndefined();
    expect(await authenticate(verifier, `Bearer ${await issuer.issue(CUSTOMER)}`)).toEqual(CUSTOMER);
    await expectUnauthenticated(authenticate(verifier, 'Bearer not-a-jwt'));
  });
});
