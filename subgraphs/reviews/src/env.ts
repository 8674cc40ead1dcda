import { z } from 'zod';
import { commonEnvironment, databaseName, databaseServerUrl, metricsPort, readEnvironment, seedDemoData, siblingUrl } from '@greencart/platform';

/** The reviews subgraph's configuration: the only reader of process.env here. */
export const readReviewsEnvironment = () =>
  readEnvironment({
    ...commonEnvironment,
    DATABASE_URL: databaseServerUrl,
    REVIEWS_DATABASE_NAME: databaseName('greencart_reviews'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4004),
    METRICS_PORT: metricsPort(9404),
    // Whom reviews asks before taking a review: products (the product is on sale), orders (it was bought).
    PRODUCTS_URL: siblingUrl('products'),
    ORDERS_URL: siblingUrl('orders'),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    SEED_DEMO_DATA: seedDemoData,
  });
