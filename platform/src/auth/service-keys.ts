import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair, importPKCS8, importSPKI, type CryptoKey } from 'jose';
import { loadOrCreateFile } from '../data-dir.js';
import type { ServiceName } from './service-calls.js';
import { keyIdOf, publicKeyOf, SigningKeyError, splitPublicKeyBundle, type SigningKey } from './signing-keys.js';
import { messageOf, pemFilesIn } from './key-files.js';

/** Service tokens are ES256 JWTs, each signed with its caller's own key and naming it by kid. */
export const SERVICE_TOKEN_ALGORITHM = 'ES256';

/**
 * Where a service's keys live under the data folder when they are not given in the environment:
 * its private key in `keys/services/private/<service>.pem`, readable by that service alone, and
 * its public keys in `keys/services/public/<service>/<kid>.pem`, which its callees read (a folder
 * per service, so that containers can mount one service's public keys without anything else).
 */
export function servicePrivateKeyPath(dataDir: string, service: ServiceName): string {
  return join(dataDir, 'keys', 'services', 'private', `${service}.pem`);
}

export function servicePublicKeysFolder(dataDir: string, service: ServiceName): string {
  return join(dataDir, 'keys', 'services', 'public', service);
}

/** Checks a PKCS#8 PEM is an ES256 private key and gives it its kid; `source` names it in errors. */
export async function serviceKeyFromPem(privateKeyPem: string, source: string): Promise<SigningKey> {
  let publicKeyPem: string;
  try {
    await importPKCS8(privateKeyPem, SERVICE_TOKEN_ALGORITHM);
    publicKeyPem = publicKeyOf(privateKeyPem);
  } catch (error) {
    throw new SigningKeyError(`${source} is not an ES256 (P-256) private key in PKCS#8 PEM: ${messageOf(error)}`);
  }
  return { privateKeyPem, publicKeyPem, kid: await keyIdOf(publicKeyPem) };
}

/** A new ES256 key pair for one service. */
export async function generateServiceKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(SERVICE_TOKEN_ALGORITHM, { extractable: true });
  return serviceKeyFromPem(await exportPKCS8(privateKey), 'a generated key');
}

/**
 * A service's own key: `SERVICE_PRIVATE_KEY` when given, otherwise generated once under the data
 * folder and its public half published beside the others' (`keys/services/public/<service>/`).
 */
export async function loadServiceKey(options: { service: ServiceName; privateKeyPem?: string; dataDir: string }): Promise<{ key: SigningKey; generated: boolean }> {
  if (options.privateKeyPem) return { key: await serviceKeyFromPem(options.privateKeyPem, 'SERVICE_PRIVATE_KEY'), generated: false };
  const path = servicePrivateKeyPath(options.dataDir, options.service);
  const file = await loadOrCreateFile(path, async () => (await generateServiceKey()).privateKeyPem);
  const key = await serviceKeyFromPem(file.value, path);
  await publishServicePublicKey(options.dataDir, options.service, key);
  return { key, generated: file.created };
}

/** Writes a key's public half as `keys/services/public/<service>/<kid>.pem`, unless it is there already. */
export async function publishServicePublicKey(dataDir: string, service: ServiceName, key: Pick<SigningKey, 'publicKeyPem' | 'kid'>): Promise<void> {
  await loadOrCreateFile(join(servicePublicKeysFolder(dataDir, service), `${key.kid}.pem`), () => key.publicKeyPem);
}

/**
 * Where a receiver finds one caller's public keys: PEMs given in the environment (a bundle, so
 * that old and new keys overlap during a rotation), or a folder of PEM files read again whenever a
 * token names a kid not seen yet (so a caller started later, or a rotated key, is picked up).
 */
export type CallerKeySource = { publicKeysBundle: string; source: string } | { folder: string };

/** A caller's public key, by the kid its tokens carry. */
export interface CallerKey {
  caller: ServiceName;
  key: CryptoKey;
}

/**
 * The public keys of every service allowed to call one receiver, by kid. A kid names exactly one
 * caller, so a token verified under it proves that caller, whatever name the token claims.
 */
export class CallerKeys {
  private fromFolders = new Map<string, CallerKey>();
  private scanning: Promise<void> | undefined;

  private constructor(
    private readonly folders: ReadonlyArray<{ caller: ServiceName; folder: string }>,
    private readonly given: ReadonlyMap<string, CallerKey>,
    private readonly warn: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  /** Reads the keys given in the environment now, refusing a bad one; folders are read on first use. */
  static async load(sources: Record<ServiceName, CallerKeySource>, warn: (message: string, fields: Record<string, unknown>) => void = () => {}): Promise<CallerKeys> {
    const folders: Array<{ caller: ServiceName; folder: string }> = [];
    const given = new Map<string, CallerKey>();
    for (const [caller, source] of Object.entries(sources) as Array<[ServiceName, CallerKeySource]>) {
      if ('folder' in source) {
        folders.push({ caller, folder: source.folder });
        continue;
      }
      for (const pem of splitPublicKeyBundle(source.publicKeysBundle, source.source)) {
        const { kid, key } = await publicKey(pem, source.source);
        claimKid(given, kid, { caller, key }, source.source);
      }
    }
    return new CallerKeys(folders, given, warn);
  }

  /** The caller whose key has this kid, reading the folders again when it is not known yet. */
  async find(kid: string): Promise<CallerKey | undefined> {
    const known = this.given.get(kid) ?? this.fromFolders.get(kid);
    if (known || this.folders.length === 0) return known;
    // An unknown kid costs one reading of at most two small folders, and only where keys are not given.
    // Concurrent requests with an unknown kid share one reading of the folders.
    this.scanning ??= this.scanFolders().finally(() => {
      this.scanning = undefined;
    });
    await this.scanning;
    return this.given.get(kid) ?? this.fromFolders.get(kid);
  }

  /** The kids known for each caller (for the start-up log line). */
  kidsByCaller(): Record<string, string[]> {
    const kids: Record<string, string[]> = {};
    for (const [kid, { caller }] of [...this.given, ...this.fromFolders]) (kids[caller] ??= []).push(kid);
    return kids;
  }

  private async scanFolders(): Promise<void> {
    const found = new Map<string, CallerKey>();
    for (const { caller, folder } of this.folders) {
      for (const file of await pemFilesIn(folder)) {
        const path = join(folder, file);
        try {
          for (const pem of splitPublicKeyBundle(await readFile(path, 'utf8'), path)) {
            const { kid, key } = await publicKey(pem, path);
            claimKid(found, kid, { caller, key }, path);
          }
        } catch (error) {
          // One unreadable file must not stop the other callers' keys from working.
          this.warn('ignored a service public key file', { path, reason: messageOf(error) });
        }
      }
    }
    this.fromFolders = found;
  }
}

async function publicKey(pem: string, source: string): Promise<{ kid: string; key: CryptoKey }> {
  try {
    return { kid: await keyIdOf(pem), key: await importSPKI(pem, SERVICE_TOKEN_ALGORITHM) };
  } catch (error) {
    throw new SigningKeyError(`${source} holds a key that is not an ES256 (P-256) public key in SPKI PEM: ${messageOf(error)}`);
  }
}

/** Refuses one public key given for two callers: its tokens could then prove either. */
function claimKid(keys: Map<string, CallerKey>, kid: string, key: CallerKey, source: string): void {
  const holder = keys.get(kid);
  if (holder && holder.caller !== key.caller) throw new SigningKeyError(`${source} gives ${key.caller} the key ${kid} that is ${holder.caller}'s already`);
  keys.set(kid, key);
}
