import { z } from 'zod';
import { commonEnvironment, readEnvironment } from '@greencart/platform';

/** The gateway's configuration: the only reader of process.env here. */
export const readGatewayEnvironment = () =>
  readEnvironment({
    ...commonEnvironment,
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    SUPERGRAPH_PATH: z.string().optional(),
    ACCOUNTS_URL: z.string().url().optional(),
    ORDERS_URL: z.string().url().optional(),
    PRODUCTS_URL: z.string().url().optional(),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    // safelist: run only the client's persisted documents (the default in production).
    PERSISTED_DOCUMENTS: z.enum(['safelist', 'off']).optional(),
    TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  });
