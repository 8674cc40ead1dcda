import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, importSPKI, type JWK } from 'jose';
import { loadOrCreateFile } from '../data-dir.js';
import { messageOf, pemFilesIn } from './key-files.js';

/** Customer tokens are ES256 JWTs: accounts signs with its current key, everyone verifies. */
export const USER_TOKEN_ALGORITHM = 'ES256';

/** The key that signs new tokens (accounts only): the private part never leaves accounts. */
export interface SigningKey {
  privateKeyPem: string;
  publicKeyPem: string;
  kid: string;
}

/** A key that signed tokens before a rotation: its tokens still verify, but it signs nothing new. */
export interface RetiredKey {
  publicKeyPem: string;
  kid: string;
}

/** Accounts' keys: the one that signs, and the retired ones whose tokens still verify. */
export interface UserTokenKeySet {
  signingKey: SigningKey;
  retiredKeys: RetiredKey[];
}

/** One published verification key, as the JWKS document lists it. */
export interface PublishedKey extends JWK {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: typeof USER_TOKEN_ALGORITHM;
  use: 'sig';
}

/** Raised at start when a configured key is not a usable ES256 key; names where it came from. */
export class SigningKeyError extends Error {
  readonly code = 'INVALID_SIGNING_KEY';
}

const PUBLIC_KEY_PEM = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** The key id published with a key and stamped on its tokens: the key's JWK thumbprint. */
export async function keyIdOf(publicKeyPem: string): Promise<string> {
  const key = await importSPKI(publicKeyPem, USER_TOKEN_ALGORITHM, { extractable: true });
  return calculateJwkThumbprint(await exportJWK(key));
}

/** The SPKI PEM of the public half of a PKCS#8 private key. */
export function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

/** Splits a bundle of one or more SPKI PEMs (as in JWT_RETIRED_PUBLIC_KEYS); `source` names it in errors. */
export function splitPublicKeyBundle(bundle: string, source: string): string[] {
  const pems = bundle.match(PUBLIC_KEY_PEM) ?? [];
  // Anything besides the PEMs is most likely a truncated or mangled key: refuse rather than skip it.
  if (bundle.replace(PUBLIC_KEY_PEM, '').trim() !== '') throw new SigningKeyError(`${source} holds text that is not a "BEGIN PUBLIC KEY" PEM block`);
  return pems.map((pem) => `${pem}\n`);
}

/**
 * Checks the keys and gives each its kid. A retired key equal to the signing key, or listed twice,
 * is kept once, so that a kid always names exactly one key.
 */
export async function buildUserTokenKeySet(options: {
  privateKeyPem: string;
  retiredPublicKeyPems?: readonly string[];
  /** Where each key came from, for error messages. */
  sources?: { privateKey?: string; retiredPublicKeys?: readonly string[] };
}): Promise<UserTokenKeySet> {
  const privateSource = options.sources?.privateKey ?? 'the signing key';
  let publicKeyPem: string;
  try {
    await importPKCS8(options.privateKeyPem, USER_TOKEN_ALGORITHM);
    publicKeyPem = publicKeyOf(options.privateKeyPem);
  } catch (error) {
    throw new SigningKeyError(`${privateSource} is not an ES256 (P-256) private key in PKCS#8 PEM: ${messageOf(error)}`);
  }
  const signingKey = { privateKeyPem: options.privateKeyPem, publicKeyPem, kid: await keyIdOf(publicKeyPem) };

  const seen = new Set([signingKey.kid]);
  const retiredKeys: RetiredKey[] = [];
  for (const [index, pem] of (options.retiredPublicKeyPems ?? []).entries()) {
    let kid: string;
    try {
      kid = await keyIdOf(pem);
    } catch (error) {
      const source = options.sources?.retiredPublicKeys?.[index] ?? `retired key ${index + 1}`;
      throw new SigningKeyError(`${source} is not an ES256 (P-256) public key in SPKI PEM: ${messageOf(error)}`);
    }
    if (seen.has(kid)) continue;
    seen.add(kid);
    retiredKeys.push({ publicKeyPem: pem, kid });
  }
  return { signingKey, retiredKeys };
}

/**
 * Accounts' key set. The signing key comes from the environment when given; otherwise it is
 * generated once under the data folder (`keys/`), so that restarts keep verifying the same tokens.
 * Retired public keys come from the environment's bundle and from `keys/retired/*.pem`.
 */
export async function loadUserTokenKeySet(options: {
  privateKeyPem?: string;
  /** One or more SPKI PEMs (JWT_RETIRED_PUBLIC_KEYS). */
  retiredPublicKeysBundle?: string;
  dataDir: string;
}): Promise<{ keySet: UserTokenKeySet; generated: boolean }> {
  const keysFolder = join(options.dataDir, 'keys');
  const retiredFolder = join(keysFolder, 'retired');
  let privateKeyPem = options.privateKeyPem;
  let generated = false;
  if (!privateKeyPem) {
    const privateFile = await loadOrCreateFile(join(keysFolder, 'user-token-private.pem'), async () => {
      const { privateKey } = await generateKeyPair(USER_TOKEN_ALGORITHM, { extractable: true });
      return exportPKCS8(privateKey);
    });
    // Kept beside the private key so an operator can retire it (copy it into keys/retired/) without tools.
    await loadOrCreateFile(join(keysFolder, 'user-token-public.pem'), () => publicKeyOf(privateFile.value));
    privateKeyPem = privateFile.value;
    generated = privateFile.created;
  }

  const retired: Array<{ pem: string; source: string }> = [];
  if (options.retiredPublicKeysBundle?.trim()) {
    for (const pem of splitPublicKeyBundle(options.retiredPublicKeysBundle, 'JWT_RETIRED_PUBLIC_KEYS')) retired.push({ pem, source: 'JWT_RETIRED_PUBLIC_KEYS' });
  }
  for (const file of await pemFilesIn(retiredFolder)) {
    const path = join(retiredFolder, file);
    for (const pem of splitPublicKeyBundle(await readFile(path, 'utf8'), path)) retired.push({ pem, source: path });
  }

  const keySet = await buildUserTokenKeySet({
    privateKeyPem,
    retiredPublicKeyPems: retired.map((key) => key.pem),
    sources: { privateKey: options.privateKeyPem ? 'JWT_PRIVATE_KEY' : join(keysFolder, 'user-token-private.pem'), retiredPublicKeys: retired.map((key) => key.source) },
  });
  return { keySet, generated };
}

/** The public JWKS document: the signing key first, then the retired ones; never a private part. */
export interface PublishedKeySet {
  keys: PublishedKey[];
}

/** Builds the JWKS document accounts serves and verifies against. */
export async function publishedKeySet(keySet: UserTokenKeySet): Promise<PublishedKeySet> {
  const keys = [keySet.signingKey, ...keySet.retiredKeys];
  return { keys: await Promise.all(keys.map((key) => publishedKey(key))) };
}

async function publishedKey(key: Pick<SigningKey, 'publicKeyPem' | 'kid'>): Promise<PublishedKey> {
  const jwk = await exportJWK(await importSPKI(key.publicKeyPem, USER_TOKEN_ALGORITHM, { extractable: true }));
  // Fields picked one by one rather than spread, so nothing but the public point can be published.
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid: key.kid, alg: USER_TOKEN_ALGORITHM, use: 'sig' };
}
