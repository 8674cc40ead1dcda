import { z } from 'zod';
import { commonEnvironment, databaseName, databaseServerUrl, EnvironmentError, pemVariable, metricsPort, readEnvironment, seedDemoData } from '@greencart/platform';
import { DEFAULT_SIGN_IN_THROTTLE, leastMaxFailuresPerAccount } from './services/sign-in-throttle-rules.js';

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** The accounts subgraph's configuration: the only reader of process.env here. */
export function readAccountsEnvironment(source: NodeJS.ProcessEnv = process.env) {
  const env = readEnvironment(
    {
      ...commonEnvironment,
      DATABASE_URL: databaseServerUrl,
      ACCOUNTS_DATABASE_NAME: databaseName('greencart_accounts'),
      PORT: z.coerce.number().int().min(0).max(65535).default(4001),
      METRICS_PORT: metricsPort(9401),
      JWT_PRIVATE_KEY: pemVariable,
      JWT_RETIRED_PUBLIC_KEYS: pemVariable,
      ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
      // Sign-in throttle (see docs/architecture.md, Sign-in throttle).
      LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL: count(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAddressAndEmail),
      LOGIN_MAX_FAILURES_PER_ACCOUNT: count(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAccount),
      LOGIN_MAX_FAILURES_PER_ADDRESS: count(DEFAULT_SIGN_IN_THROTTLE.maxFailuresPerAddress),
      LOGIN_THROTTLE_WINDOW_SECONDS: count(DEFAULT_SIGN_IN_THROTTLE.windowSeconds),
      // Its meaning changed (per email became per address and email), so a setting of it must not pass unnoticed.
      LOGIN_MAX_FAILURES_PER_EMAIL: z
        .never({ errorMap: () => ({ message: 'renamed LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL: it now limits each client address for an email (see docs/architecture.md)' }) })
        .optional(),
      GREENCART_ADMIN_PASSWORD: z.string().min(8).default('greencart-admin'),
      SEED_DEMO_DATA: seedDemoData,
    },
    source,
  );
  // Checked once the two numbers are read, as a zod refinement would be.
  const leastPerAccount = leastMaxFailuresPerAccount(env.LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL);
  if (env.LOGIN_MAX_FAILURES_PER_ACCOUNT < leastPerAccount) {
    throw new EnvironmentError(
      `Invalid environment:\n  LOGIN_MAX_FAILURES_PER_ACCOUNT: must be at least ${leastPerAccount} (twice LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL), or one client address could throttle the account for everyone`,
    );
  }
  return env;
}
