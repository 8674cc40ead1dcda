import { z } from 'zod';
import { commonEnvironment, databaseName, databaseServerUrl, metricsPort, readEnvironment } from '@greencart/platform';

/** The __name__ subgraph's configuration: the only reader of process.env here. */
export const read__Name__Environment = () =>
  readEnvironment({
    ...commonEnvironment,
    DATABASE_URL: databaseServerUrl,
    __NAME___DATABASE_NAME: databaseName('__database__'),
    PORT: z.coerce.number().int().min(0).max(65535).default(__port__),
    METRICS_PORT: metricsPort(__metricsPort__),
  });
