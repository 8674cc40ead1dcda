import { z } from 'zod';
import { commonEnvironment, databaseName, databaseServerUrl, metricsPort, readEnvironment, seedDemoData, siblingUrl } from '@greencart/platform';

/** The orders subgraph's configuration: the only reader of process.env here. */
export const readOrdersEnvironment = () =>
  readEnvironment({
    ...commonEnvironment,
    DATABASE_URL: databaseServerUrl,
    ORDERS_DATABASE_NAME: databaseName('greencart_orders'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4002),
    METRICS_PORT: metricsPort(9402),
    PRODUCTS_URL: siblingUrl('products'),
    ACCOUNTS_URL: siblingUrl('accounts'),
    PUBLIC_URL: z.string().url().default('http://localhost:4000'),
    INVOICE_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    ORDER_RECOVERY_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(30),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    SEED_DEMO_DATA: seedDemoData,
  });
