import { createTokenIssuerRuntime, createUserTokenIssuer, runMain, stopOnSignals } from '@greencart/platform';
import { readAccountsEnvironment } from './env.js';
import { prepareAccountsDatabase, seedAdministrator, seedDemoShoppers, startAccountsService } from './server.js';

runMain('accounts', async () => {
  const env = readAccountsEnvironment();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set (`npm start` sets it; see docs/operations.md).');
  const runtime = await createTokenIssuerRuntime('accounts', env);
  const issuer = await createUserTokenIssuer({ signingKey: runtime.keySet.signingKey, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS });
  const database = await prepareAccountsDatabase({ serverUrl: env.DATABASE_URL, name: env.ACCOUNTS_DATABASE_NAME });
  await seedAdministrator(database.db, env.GREENCART_ADMIN_PASSWORD);
  if (env.SEED_DEMO_DATA) await seedDemoShoppers(database.db);
  const service = await startAccountsService(
    {
      ...runtime,
      issuer,
      database,
      jwksCacheSeconds: env.JWKS_CACHE_SECONDS,
      signInThrottle: {
        maxFailuresPerAddressAndEmail: env.LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL,
        maxFailuresPerAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        maxFailuresPerAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS,
        windowSeconds: env.LOGIN_THROTTLE_WINDOW_SECONDS,
      },
    },
    { port: env.PORT, host: env.HOST, metricsPort: env.METRICS_PORT },
  );
  stopOnSignals(
    runtime.logger,
    async () => {
      await service.stop();
      await database.close();
    },
    { supervised: env.GREENCART_SUPERVISED },
  );
});
