import type { z } from 'zod';
import { callersOf, type ServiceName } from './auth/service-calls.js';
import { loadServiceCredentials, type ServiceCredentials } from './auth/service-credentials.js';
import { loadUserTokenKeySet, publishedKeySet, type PublishedKeySet, type UserTokenKeySet } from './auth/signing-keys.js';
import { createLocalUserTokenVerifier, createRemoteUserTokenVerifier, type UserTokenVerifier } from './auth/user-tokens.js';
import { resolveDataDir } from './data-dir.js';
import { readCallerPublicKeys, type commonEnvironment } from './environment.js';
import { createLogger, errorFields, type Logger } from './logger.js';
import { startTracing, stopTracing } from './tracing.js';

export type CommonEnvironment = z.infer<z.ZodObject<typeof commonEnvironment>>;

/** What every GreenCart process builds from its environment before it serves anything. */
export interface ServiceRuntime {
  logger: Logger;
  production: boolean;
  dataDir: string;
  verifier: UserTokenVerifier;
  credentials: ServiceCredentials;
}

/** The token issuer (the manifest's user_token_issuer) also holds the keys: it signs with one, publishes them all, and verifies locally. */
export interface TokenIssuerRuntime extends ServiceRuntime {
  keySet: UserTokenKeySet;
  /** The JWKS document served at `/.well-known/jwks.json`. */
  publishedKeys: PublishedKeySet;
}

/** Every service but the token issuer: tokens are verified against the keys it publishes (JWKS_URL). */
export async function createServiceRuntime(name: ServiceName, env: CommonEnvironment): Promise<ServiceRuntime> {
  const base = await createRuntimeBase(name, env);
  const verifier = createRemoteUserTokenVerifier({
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    jwksUrl: env.JWKS_URL,
    cacheSeconds: env.JWKS_CACHE_SECONDS,
    refetchCooldownSeconds: env.JWKS_REFETCH_COOLDOWN_SECONDS,
  });
  return { ...base, verifier };
}

/** The token issuer: loads (or generates) its key set, and verifies tokens against it without HTTP. */
export async function createTokenIssuerRuntime(name: ServiceName, env: CommonEnvironment & { JWT_PRIVATE_KEY?: string; JWT_RETIRED_PUBLIC_KEYS?: string }): Promise<TokenIssuerRuntime> {
  const base = await createRuntimeBase(name, env);
  const { keySet, generated } = await loadUserTokenKeySet({ privateKeyPem: env.JWT_PRIVATE_KEY, retiredPublicKeysBundle: env.JWT_RETIRED_PUBLIC_KEYS, dataDir: base.dataDir });
  if (generated) base.logger.warn('generated a token signing key under the data folder; set JWT_PRIVATE_KEY to manage keys yourself', { dataDir: base.dataDir });
  // Said at every start, so an operator can see a rotation took effect.
  base.logger.info('token signing keys', { signingKid: keySet.signingKey.kid, retiredKids: keySet.retiredKeys.map((key) => key.kid) });
  const publishedKeys = await publishedKeySet(keySet);
  const verifier = createLocalUserTokenVerifier({ issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, keySet: publishedKeys });
  return { ...base, verifier, keySet, publishedKeys };
}

async function createRuntimeBase(name: ServiceName, env: CommonEnvironment): Promise<Omit<ServiceRuntime, 'verifier'>> {
  // Tracing first: the logger adds trace ids only when there are traces, and databases opened later are traced.
  const tracing = await startTracing(name, env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const logger = createLogger(name, env.LOG_LEVEL, env.LOG_FORMAT, undefined, { traceIds: tracing });
  if (tracing) logger.info('exporting traces', { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
  const production = env.NODE_ENV === 'production';
  const dataDir = resolveDataDir(env.GREENCART_DATA_DIR);
  const { credentials, generated, kid, callerKids } = await loadServiceCredentials({
    service: name,
    privateKeyPem: env.SERVICE_PRIVATE_KEY,
    callerPublicKeys: readCallerPublicKeys(callersOf(name)),
    dataDir,
    warn: (message, fields) => logger.warn(message, fields),
  });
  if (generated) logger.warn("generated this service's key under the data folder; set SERVICE_PRIVATE_KEY to manage it yourself", { dataDir });
  // Said at every start, so an operator can see a rotation took effect.
  logger.info('service keys', { kid, callerKids });
  return { logger, production, dataDir, credentials };
}

/**
 * Stops cleanly on a termination signal (and on Ctrl-C when run alone), then sends the spans it
 * still holds (when tracing), exiting non-zero when stopping fails. Under `npm start` (supervised)
 * Ctrl-C reaches every process of the terminal at once, so a supervised process leaves it to the
 * supervisor, which stops the processes in order. Each entry point calls it once it serves, so a
 * supervised process also tells its supervisor then (SERVING_MESSAGE).
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>, options: { supervised?: boolean } = {}): void {
  if (options.supervised) reportServing();
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    stop()
      .then(() => stopTracing())
      .then(
        () => process.exit(0),
        (error) => {
          logger.error('failed to stop cleanly', errorFields(error));
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', options.supervised ? () => logger.debug('leaving Ctrl-C to the supervisor') : shutdown);
  process.on('SIGTERM', shutdown);
}

/** What a supervised process tells `npm start` on its IPC channel once it serves on its own ports. */
export const SERVING_MESSAGE = 'greencart:serving';

/** Tells the supervisor, if it listens (an IPC channel), that this process serves; the channel keeps nothing alive. */
function reportServing(): void {
  if (!process.send) return;
  process.send(SERVING_MESSAGE);
  process.channel?.unref();
}

/** Runs a process's main function, reporting a failed start in one readable line. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
