import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { calleesOf, callersOf, mayCall } from '../src/auth/service-calls.js';
import { createServiceCredentials, loadServiceCredentials, ServiceKeyMissingError } from '../src/auth/service-credentials.js';
import { CallerKeys, generateServiceKey, loadServiceKey, publishServicePublicKey, servicePrivateKeyPath, servicePublicKeysFolder } from '../src/auth/service-keys.js';
import type { ServiceName } from '../src/auth/service-calls.js';
import { SigningKeyError, type SigningKey } from '../src/auth/signing-keys.js';
import { commonEnvironment, readEnvironment } from '../src/environment.js';

const folders: string[] = [];
async function dataFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'greencart-service-keys-'));
  folders.push(folder);
  return folder;
}
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** A receiver holding the given public keys of its callers, as the environment gives them. */
async function receiver(serviceName: ServiceName, publicKeys: Record<ServiceName, SigningKey[]>) {
  const sources = Object.fromEntries(Object.entries(publicKeys).map(([caller, keys]) => [caller, { publicKeysBundle: keys.map((key) => key.publicKeyPem).join(''), source: `${caller} keys` }]));
  return createServiceCredentials({ serviceName, callerKeys: await CallerKeys.load(sources) });
}

const caller = async (serviceName: ServiceName, signingKey: SigningKey) => createServiceCredentials({ serviceName, signingKey, callerKeys: await CallerKeys.load({}) });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
}

describe('who may call whom', () => {
  it('lets products answer the gateway, orders and reviews, and only orders move stock', () => {
    expect(callersOf('products')).toEqual(['gateway', 'orders', 'reviews']);
    expect(mayCall('reviews', 'products', 'stockOperations')).toBe(false);
    expect(mayCall('orders', 'products', 'stockOperations')).toBe(true);
    expect(mayCall('gateway', 'products', 'stockOperations')).toBe(false);
    expect(mayCall('orders', 'products', 'events')).toBe(false);
    expect(mayCall('gateway', 'products', 'events')).toBe(true);
  });

  it('lets only orders read a processor token from accounts, and only reviews ask orders who bought what', () => {
    expect(callersOf('accounts')).toEqual(['gateway', 'orders']);
    expect(mayCall('gateway', 'accounts', 'processorToken')).toBe(false);
    expect(mayCall('orders', 'accounts', 'processorToken')).toBe(true);
    expect(callersOf('orders')).toEqual(['gateway', 'reviews']);
    expect(mayCall('reviews', 'orders', 'purchases')).toBe(true);
    expect(mayCall('gateway', 'orders', 'purchases')).toBe(false);
    expect(mayCall('reviews', 'orders', 'invoicePrint')).toBe(false);
    expect(callersOf('reviews')).toEqual(['gateway']);
    expect(mayCall('orders', 'orders', 'graphql')).toBe(false);
    expect(mayCall(undefined, 'orders', 'graphql')).toBe(false);
  });

  it('gives keys only to the services that call others', () => {
    expect(calleesOf('gateway')).toEqual(['accounts', 'orders', 'products', 'reviews']);
    expect(calleesOf('orders')).toEqual(['accounts', 'products']);
    expect(calleesOf('reviews')).toEqual(['orders', 'products']);
    expect(calleesOf('products')).toEqual([]);
    expect(calleesOf('accounts')).toEqual([]);
    expect(callersOf('gateway')).toEqual([]);
  });
});

describe('service tokens', () => {
  it('name the caller, the one service called and the key, and are reused for each callee', async () => {
    const key = await generateServiceKey();
    const orders = await caller('orders', key);
    const token = await orders.token('products');
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: key.kid });
    expect(decodeJwt(token)).toMatchObject({ iss: 'orders', aud: 'products' });
    expect(await orders.token('products')).toBe(token);
    expect(await orders.token('accounts')).not.toBe(token);
  });

  it('prove the caller whose key signed them', async () => {
    const [gatewayKey, ordersKey] = [await generateServiceKey(), await generateServiceKey()];
    const products = await receiver('products', { gateway: [gatewayKey], orders: [ordersKey] });
    expect(await products.verify(await (await caller('orders', ordersKey)).token('products'))).toBe('orders');
    expect(await products.verify(await (await caller('gateway', gatewayKey)).token('products'))).toBe('gateway');
  });

  it('refuse a token claiming to be orders that another key signed, even a known caller’s', async () => {
    const [gatewayKey, ordersKey, productsKey] = [await generateServiceKey(), await generateServiceKey(), await generateServiceKey()];
    const accounts = await receiver('accounts', { gateway: [gatewayKey], orders: [ordersKey] });
    expect(await accounts.verify(await (await caller('orders', productsKey)).token('accounts'))).toBeUndefined();
    expect(await accounts.verify(await (await caller('orders', gatewayKey)).token('accounts'))).toBeUndefined();
    // The gateway's own key, with orders' kid on the header: the signature does not match orders' key.
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: ordersKey.kid })
      .setIssuer('orders')
      .setAudience('accounts')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importPKCS8(gatewayKey.privateKeyPem, 'ES256'));
    expect(await accounts.verify(forged)).toBeUndefined();
  });

  it('refuse a token passed on to another service than the one it was made for', async () => {
    const ordersKey = await generateServiceKey();
    const tokenForProducts = await (await caller('orders', ordersKey)).token('products');
    expect(await (await receiver('accounts', { orders: [ordersKey] })).verify(tokenForProducts)).toBeUndefined();
    expect(await (await receiver('products', { orders: [ordersKey] })).verify(tokenForProducts)).toBe('orders');
  });

  it('refuse garbage, a token without kid, and no token', async () => {
    const products = await receiver('products', { gateway: [await generateServiceKey()] });
    expect(await products.verify(undefined)).toBeUndefined();
    expect(await products.verify('not a token')).toBeUndefined();
  });

  it('cannot be made by a service that calls nobody', async () => {
    const products = await receiver('products', {});
    expect(await rejection(products.token('accounts'))).toBeInstanceOf(ServiceKeyMissingError);
  });
});

describe('rotating one caller’s key', () => {
  it('accepts the old and the new key while both are given, the other callers untouched, then only the new one', async () => {
    const [gatewayKey, oldOrdersKey, newOrdersKey] = [await generateServiceKey(), await generateServiceKey(), await generateServiceKey()];
    const gatewayToken = await (await caller('gateway', gatewayKey)).token('products');
    const oldToken = await (await caller('orders', oldOrdersKey)).token('products');
    const newToken = await (await caller('orders', newOrdersKey)).token('products');

    const during = await receiver('products', { gateway: [gatewayKey], orders: [oldOrdersKey, newOrdersKey] });
    expect([await during.verify(oldToken), await during.verify(newToken), await during.verify(gatewayToken)]).toEqual(['orders', 'orders', 'gateway']);

    const after = await receiver('products', { gateway: [gatewayKey], orders: [newOrdersKey] });
    expect([await after.verify(oldToken), await after.verify(newToken), await after.verify(gatewayToken)]).toEqual([undefined, 'orders', 'gateway']);
  });

  it('refuses one public key given for two callers, whose tokens could then prove either', async () => {
    const key = await generateServiceKey();
    const both = { gateway: { publicKeysBundle: key.publicKeyPem, source: 'GATEWAY_SERVICE_PUBLIC_KEYS' }, orders: { publicKeysBundle: key.publicKeyPem, source: 'ORDERS_SERVICE_PUBLIC_KEYS' } };
    expect(await rejection(CallerKeys.load(both))).toBeInstanceOf(SigningKeyError);
  });

  it('refuses at start a bundle that holds something else than public keys', async () => {
    const key = await generateServiceKey();
    const error = await rejection(CallerKeys.load({ orders: { publicKeysBundle: key.privateKeyPem, source: 'ORDERS_SERVICE_PUBLIC_KEYS' } }));
    expect(error).toBeInstanceOf(SigningKeyError);
    expect(String(error)).toContain('ORDERS_SERVICE_PUBLIC_KEYS');
  });
});

describe('keys under the data folder (development)', () => {
  it('generates a caller’s key once, publishes its public half, and keeps it across starts', async () => {
    const dataDir = await dataFolder();
    const first = await loadServiceKey({ service: 'orders', dataDir });
    const second = await loadServiceKey({ service: 'orders', dataDir });
    expect([first.generated, second.generated]).toEqual([true, false]);
    expect(second.key.kid).toBe(first.key.kid);
    expect(await readdir(servicePublicKeysFolder(dataDir, 'orders'))).toEqual([`${first.key.kid}.pem`]);
    expect(await readFile(servicePrivateKeyPath(dataDir, 'orders'), 'utf8')).toBe(first.key.privateKeyPem);
  });

  it('gives a service that calls nobody no key, and reads only its callers’ public keys', async () => {
    const dataDir = await dataFolder();
    const products = await loadServiceCredentials({ service: 'products', callerPublicKeys: {}, dataDir });
    expect(products.kid).toBeUndefined();
    expect(products.callerKids).toEqual({ gateway: 'data folder', orders: 'data folder', reviews: 'data folder' });
    expect(await readdir(join(dataDir, 'keys', 'services')).catch(() => [])).toEqual([]);
  });

  it('accepts a caller that appeared after the receiver started, and a key that replaced its old one', async () => {
    const dataDir = await dataFolder();
    const accounts = (await loadServiceCredentials({ service: 'accounts', callerPublicKeys: {}, dataDir })).credentials;
    const orders = (await loadServiceCredentials({ service: 'orders', callerPublicKeys: {}, dataDir })).credentials;
    expect(await accounts.verify(await orders.token('accounts'))).toBe('orders');

    // Rotation as docs/operations.md tells it: the private key removed, the service started again.
    await rm(servicePrivateKeyPath(dataDir, 'orders'));
    const rotated = (await loadServiceCredentials({ service: 'orders', callerPublicKeys: {}, dataDir })).credentials;
    expect(await accounts.verify(await rotated.token('accounts'))).toBe('orders');
    expect(await accounts.verify(await orders.token('accounts'))).toBe('orders');
  });

  it('takes the environment’s bundle for a caller in place of the folder, the other caller still from the folder', async () => {
    const dataDir = await dataFolder();
    const [given, published] = [await generateServiceKey(), await generateServiceKey()];
    await publishServicePublicKey(dataDir, 'orders', published);
    await publishServicePublicKey(dataDir, 'gateway', published);
    const products = (await loadServiceCredentials({ service: 'products', callerPublicKeys: { gateway: given.publicKeyPem }, dataDir })).credentials;
    expect(await products.verify(await (await caller('gateway', given)).token('products'))).toBe('gateway');
    expect(await products.verify(await (await caller('gateway', published)).token('products'))).toBeUndefined();
    expect(await products.verify(await (await caller('orders', published)).token('products'))).toBe('orders');
  });

  it('skips an unreadable public key file with a warning, the other keys still accepted', async () => {
    const dataDir = await dataFolder();
    const key = await generateServiceKey();
    await publishServicePublicKey(dataDir, 'gateway', key);
    await mkdir(servicePublicKeysFolder(dataDir, 'orders'), { recursive: true });
    await writeFile(join(servicePublicKeysFolder(dataDir, 'orders'), 'broken.pem'), 'not a key');
    const warnings: unknown[] = [];
    const products = (await loadServiceCredentials({ service: 'products', callerPublicKeys: {}, dataDir, warn: (message, fields) => warnings.push({ message, ...fields }) })).credentials;
    expect(await products.verify(await (await caller('gateway', key)).token('products'))).toBe('gateway');
    expect(warnings).toEqual([expect.objectContaining({ message: 'ignored a service public key file', path: join(servicePublicKeysFolder(dataDir, 'orders'), 'broken.pem') })]);
  });

  it('refuses a SERVICE_PRIVATE_KEY that is not an ES256 private key, naming it', async () => {
    const error = await rejection(loadServiceKey({ service: 'gateway', privateKeyPem: (await generateServiceKey()).publicKeyPem, dataDir: await dataFolder() }));
    expect(error).toBeInstanceOf(SigningKeyError);
    expect(String(error)).toContain('SERVICE_PRIVATE_KEY');
  });
});

describe('the environment', () => {
  it('refuses the removed SERVICE_TOKEN_SECRET, naming what replaced it', () => {
    expect(() => readEnvironment(commonEnvironment, { SERVICE_TOKEN_SECRET: 'x'.repeat(40) })).toThrow(/SERVICE_TOKEN_SECRET: removed: .*SERVICE_PRIVATE_KEY/);
  });
});
