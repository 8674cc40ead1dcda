import { z } from 'zod';
import { commonEnvironment, databaseName, databaseServerUrl, pemVariable, readEnvironment } from '@greencart/platform';

/** The accounts subgraph's configuration: the only reader of process.env here. */
export const readAccountsEnvironment = () =>
  readEnvironment({
    ...commonEnvironment,
    DATABASE_URL: databaseServerUrl,
    ACCOUNTS_DATABASE_NAME: databaseName('greencart_accounts'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4001),
    JWT_PRIVATE_KEY: pemVariable,
    JWT_RETIRED_PUBLIC_KEYS: pemVariable,
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    LOGIN_MAX_FAILURES_PER_EMAIL: z.coerce.number().int().min(1).default(5),
    LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
    LOGIN_THROTTLE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    GREENCART_ADMIN_PASSWORD: z.string().min(8).default('greencart-admin'),
  });
