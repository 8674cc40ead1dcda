import { z } from 'zod';
import { commonEnvironment, databaseName, databaseServerUrl, metricsPort, readEnvironment, seedDemoData } from '@greencart/platform';

/** The products subgraph's configuration: the only reader of process.env here. */
export const readProductsEnvironment = () =>
  readEnvironment({
    ...commonEnvironment,
    DATABASE_URL: databaseServerUrl,
    PRODUCTS_DATABASE_NAME: databaseName('greencart_products'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4003),
    METRICS_PORT: metricsPort(9403),
    SEED_DEMO_DATA: seedDemoData,
  });
