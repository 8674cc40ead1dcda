import type { z } from 'zod';
import { createServiceCredentials, loadServiceSecret, type ServiceCredentials, type ServiceName } from './auth/service-credentials.js';
import { createUserTokenVerifier, loadUserTokenKeys, type UserTokenKeyPair, type UserTokenVerifier } from './auth/user-tokens.js';
import { resolveDataDir } from './data-dir.js';
import type { commonEnvironment } from './environment.js';
import { createLogger, errorFields, type Logger } from './logger.js';

export type CommonEnvironment = z.infer<z.ZodObject<typeof commonEnvironment>>;

/** What every GreenCart process builds from its environment before it serves anything. */
export interface ServiceRuntime {
  logger: Logger;
  production: boolean;
  dataDir: string;
  keys: UserTokenKeyPair;
  verifier: UserTokenVerifier;
  credentials: ServiceCredentials;
}

export async function createServiceRuntime(name: ServiceName, env: CommonEnvironment & { JWT_PRIVATE_KEY?: string }): Promise<ServiceRuntime> {
  const logger = createLogger(name, env.LOG_LEVEL, env.LOG_FORMAT);
  const production = env.NODE_ENV === 'production';
  const dataDir = resolveDataDir(env.GREENCART_DATA_DIR);
  const keys = await loadUserTokenKeys({ privateKeyPem: env.JWT_PRIVATE_KEY, publicKeyPem: env.JWT_PUBLIC_KEY, dataDir });
  if (keys.generated) logger.warn('generated a token signing key pair under the data folder; set JWT_PRIVATE_KEY and JWT_PUBLIC_KEY to manage keys yourself', { dataDir });
  const secret = await loadServiceSecret({ secret: env.SERVICE_TOKEN_SECRET, dataDir });
  if (secret.generated) logger.warn('generated the service token secret under the data folder; set SERVICE_TOKEN_SECRET to manage it yourself', { dataDir });
  return {
    logger,
    production,
    dataDir,
    keys,
    verifier: await createUserTokenVerifier({ publicKeyPem: keys.publicKeyPem, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE }),
    credentials: createServiceCredentials({ secret: secret.secret, serviceName: name }),
  };
}

/** Stops cleanly on Ctrl-C or a termination signal, and exits non-zero on a failed start. */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    stop().then(
      () => process.exit(0),
      (error) => {
        logger.error('failed to stop cleanly', errorFields(error));
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/** Runs a process's main function, reporting a failed start in one readable line. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
