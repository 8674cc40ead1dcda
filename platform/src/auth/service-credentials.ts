import { SignJWT, decodeProtectedHeader, importPKCS8, jwtVerify, type CryptoKey } from 'jose';
import type { ServiceManifest } from '../service-manifest.js';
import { calleesOf, callersOf, type ServiceName } from './service-calls.js';
import { CallerKeys, loadServiceKey, SERVICE_TOKEN_ALGORITHM, servicePublicKeysFolder, type CallerKeySource } from './service-keys.js';
import type { SigningKey } from './signing-keys.js';
import { VerifiedTokens } from './verified-tokens.js';
import { callerPublicKeysVariable } from '../environment.js';

/**
 * Service-to-service credentials. Each service that calls others signs, with a key of its own, a
 * short-lived ES256 token naming itself (`iss`) and the one service it calls (`aud`), sent in this
 * header. A receiver holds only its allowed callers' public keys, and a token proves the caller
 * whose key verified it, so no service can speak for another, nor pass on a token it was sent.
 * A leaked header stops working within minutes; private keys never travel.
 */
export const SERVICE_TOKEN_HEADER = 'x-greencart-service-token';

const TOKEN_LIFETIME_SECONDS = 300;
const RENEW_BEFORE_SECONDS = 60;

/** Raised when a service that holds no key (nobody's caller in the manifest's callers) is asked to sign. */
export class ServiceKeyMissingError extends Error {
  readonly code = 'SERVICE_KEY_MISSING';
}

export interface ServiceCredentials {
  serviceName: ServiceName;
  /** A token for calls to `audience`, reused until shortly before it expires. */
  token(audience: ServiceName): Promise<string>;
  /** The calling service, or undefined when the token does not prove one of this service's callers. */
  verify(token: string | undefined): Promise<ServiceName | undefined>;
}

export async function createServiceCredentials(options: {
  serviceName: ServiceName;
  /** This service's own key; none for a service that calls nobody. */
  signingKey?: SigningKey;
  /** The public keys of the services allowed to call this one. */
  callerKeys: CallerKeys;
}): Promise<ServiceCredentials> {
  const { serviceName, signingKey, callerKeys } = options;
  const privateKey: CryptoKey | undefined = signingKey ? await importPKCS8(signingKey.privateKeyPem, SERVICE_TOKEN_ALGORITHM) : undefined;
  // One token per callee: the gateway calls each subgraph on every request, so signing is not per call.
  const issued = new Map<ServiceName, { token: string; expiresAt: number }>();
  // Each caller reuses its token for minutes: check each one's signature once, not on every call.
  const verified = new VerifiedTokens<ServiceName>({ maxAgeMs: 60_000, maxEntries: 1_000 });

  return {
    serviceName,

    async token(audience) {
      if (!privateKey || !signingKey) throw new ServiceKeyMissingError(`${serviceName} holds no service key: it is no service's caller`);
      const now = Math.floor(Date.now() / 1000);
      const cached = issued.get(audience);
      if (cached && cached.expiresAt - RENEW_BEFORE_SECONDS > now) return cached.token;
      const expiresAt = now + TOKEN_LIFETIME_SECONDS;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: SERVICE_TOKEN_ALGORITHM, kid: signingKey.kid, typ: 'JWT' })
        .setIssuer(serviceName)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(expiresAt)
        .sign(privateKey);
      issued.set(audience, { token, expiresAt });
      return token;
    },

    async verify(token) {
      if (!token) return undefined;
      const known = verified.get(token);
      if (known) return known;
      try {
        const { kid } = decodeProtectedHeader(token);
        if (typeof kid !== 'string') return undefined;
        const holder = await callerKeys.find(kid);
        if (!holder) return undefined;
        // The key decides who called: a token whose `iss` names anyone else is refused.
        const { payload } = await jwtVerify(token, holder.key, {
          algorithms: [SERVICE_TOKEN_ALGORITHM],
          issuer: holder.caller,
          audience: serviceName,
          requiredClaims: ['iss', 'aud', 'exp'],
        });
        verified.set(token, holder.caller, payload.exp! * 1000);
        return holder.caller;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * A service's credentials as a process builds them at start: its own key when it calls anyone
 * (`privateKeyPem`, else generated once under the data folder), and the public keys of the
 * services allowed to call it (each caller's bundle when given, else the data folder's
 * `keys/services/public/<caller>/`). Nothing of any other service's private key is read.
 */
export async function loadServiceCredentials(options: {
  service: ServiceName;
  privateKeyPem?: string;
  /** PEM bundles by caller (`<CALLER>_SERVICE_PUBLIC_KEYS`). */
  callerPublicKeys: Partial<Record<ServiceName, string | undefined>>;
  dataDir: string;
  warn?: (message: string, fields: Record<string, unknown>) => void;
  /** Who calls whom (default: the repository's supergraph.yaml). */
  manifest?: ServiceManifest;
}): Promise<{ credentials: ServiceCredentials; generated: boolean; kid?: string; callerKids: Record<string, string[] | 'data folder'> }> {
  const { service, dataDir } = options;
  let signingKey: SigningKey | undefined;
  let generated = false;
  if (calleesOf(service, options.manifest).length > 0) {
    ({ key: signingKey, generated } = await loadServiceKey({ service, privateKeyPem: options.privateKeyPem, dataDir }));
  } else if (options.privateKeyPem) {
    options.warn?.('SERVICE_PRIVATE_KEY is set but unused: this service calls no other', {});
  }
  const sources: Record<ServiceName, CallerKeySource> = {};
  for (const caller of callersOf(service, options.manifest)) {
    const bundle = options.callerPublicKeys[caller];
    sources[caller] = bundle?.trim() ? { publicKeysBundle: bundle, source: callerPublicKeysVariable(caller) } : { folder: servicePublicKeysFolder(dataDir, caller) };
  }
  const callerKeys = await CallerKeys.load(sources, options.warn);
  const given = callerKeys.kidsByCaller();
  const callerKids = Object.fromEntries(Object.entries(sources).map(([caller, source]) => [caller, 'folder' in source ? ('data folder' as const) : (given[caller] ?? [])]));
  return { credentials: await createServiceCredentials({ serviceName: service, signingKey, callerKeys }), generated, kid: signingKey?.kid, callerKids };
}
