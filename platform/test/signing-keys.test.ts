import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { buildUserTokenKeySet, keyIdOf, loadUserTokenKeySet, publishedKeySet, SigningKeyError, splitPublicKeyBundle } from '../src/auth/signing-keys.js';

async function keyPair() {
  const pair = await generateKeyPair('ES256', { extractable: true });
  return { privateKeyPem: await exportPKCS8(pair.privateKey), publicKeyPem: await exportSPKI(pair.publicKey) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
}

describe('the key set accounts holds', () => {
  it('gives the signing key the kid of its public half, and keeps each retired key once', async () => {
    const [current, retired] = [await keyPair(), await keyPair()];
    const keySet = await buildUserTokenKeySet({ privateKeyPem: current.privateKeyPem, retiredPublicKeyPems: [retired.publicKeyPem, current.publicKeyPem, retired.publicKeyPem] });
    expect(keySet.signingKey.kid).toBe(await keyIdOf(current.publicKeyPem));
    expect(keySet.signingKey.publicKeyPem.trim()).toBe(current.publicKeyPem.trim());
    expect(keySet.retiredKeys.map((key) => key.kid)).toEqual([await keyIdOf(retired.publicKeyPem)]);
  });

  it('publishes the signing key first, then the retired ones, with kid, alg and use, and never a private part', async () => {
    const [current, retired] = [await keyPair(), await keyPair()];
    const keySet = await buildUserTokenKeySet({ privateKeyPem: current.privateKeyPem, retiredPublicKeyPems: [retired.publicKeyPem] });
    const published = await publishedKeySet(keySet);
    expect(published.keys.map((key) => key.kid)).toEqual([keySet.signingKey.kid, keySet.retiredKeys[0]!.kid]);
    for (const key of published.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    }
  });

  it('refuses keys that are not ES256, naming where they came from', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const current = await keyPair();
    const spki = (key: { export(options: { type: 'spki'; format: 'pem' }): string | Buffer }) => key.export({ type: 'spki', format: 'pem' }).toString();
    const pkcs8 = (key: { export(options: { type: 'pkcs8'; format: 'pem' }): string | Buffer }) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

    for (const privateKeyPem of [pkcs8(rsa.privateKey), pkcs8(p384.privateKey), 'not a key']) {
      const error = await rejection(buildUserTokenKeySet({ privateKeyPem, sources: { privateKey: 'JWT_PRIVATE_KEY' } }));
      expect(error).toBeInstanceOf(SigningKeyError);
      expect((error as Error).message).toContain('JWT_PRIVATE_KEY');
    }
    for (const retired of [spki(rsa.publicKey), spki(p384.publicKey)]) {
      const error = await rejection(buildUserTokenKeySet({ privateKeyPem: current.privateKeyPem, retiredPublicKeyPems: [retired], sources: { retiredPublicKeys: ['keys/retired/old.pem'] } }));
      expect(error).toBeInstanceOf(SigningKeyError);
      expect((error as Error).message).toContain('keys/retired/old.pem');
    }
  });

  it('reads a bundle of public keys, and refuses one with anything else in it', async () => {
    const [first, second] = [await keyPair(), await keyPair()];
    expect(splitPublicKeyBundle(`${first.publicKeyPem}\n${second.publicKeyPem}`, 'JWT_RETIRED_PUBLIC_KEYS')).toHaveLength(2);
    expect(() => splitPublicKeyBundle(`${first.publicKeyPem}\n${first.privateKeyPem}`, 'JWT_RETIRED_PUBLIC_KEYS')).toThrow(SigningKeyError);
    expect(() => splitPublicKeyBundle(first.publicKeyPem.slice(0, 80), 'JWT_RETIRED_PUBLIC_KEYS')).toThrow(/JWT_RETIRED_PUBLIC_KEYS/);
  });
});

describe('loading the key set', () => {
  const folders: string[] = [];
  const dataFolder = async () => {
    const folder = await mkdtemp(join(tmpdir(), 'greencart-keys-'));
    folders.push(folder);
    return folder;
  };
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });

  it('generates a signing key once under the data folder and reuses it on the next start', async () => {
    const dataDir = await dataFolder();
    const first = await loadUserTokenKeySet({ dataDir });
    const second = await loadUserTokenKeySet({ dataDir });
    expect(first.generated).toBe(true);
    expect(second.generated).toBe(false);
    expect(second.keySet.signingKey.kid).toBe(first.keySet.signingKey.kid);
    expect(await readdir(join(dataDir, 'keys'))).toEqual(['user-token-private.pem', 'user-token-public.pem']);
  });

  it('takes the signing key from the environment, and retired keys from the environment and keys/retired/', async () => {
    const dataDir = await dataFolder();
    const [current, fromEnvironment, fromFolder] = [await keyPair(), await keyPair(), await keyPair()];
    await mkdir(join(dataDir, 'keys', 'retired'), { recursive: true });
    await writeFile(join(dataDir, 'keys', 'retired', '2024-01.pem'), fromFolder.publicKeyPem);
    await writeFile(join(dataDir, 'keys', 'retired', 'README.txt'), 'not a key, and not read');
    const { keySet, generated } = await loadUserTokenKeySet({ privateKeyPem: current.privateKeyPem, retiredPublicKeysBundle: fromEnvironment.publicKeyPem, dataDir });
    expect(generated).toBe(false);
    expect(keySet.signingKey.kid).toBe(await keyIdOf(current.publicKeyPem));
    expect(keySet.retiredKeys.map((key) => key.kid)).toEqual([await keyIdOf(fromEnvironment.publicKeyPem), await keyIdOf(fromFolder.publicKeyPem)]);
    expect(await readdir(join(dataDir, 'keys'))).toEqual(['retired']);
  });
});
