import { z } from 'zod';
import { CONTRACT_IMAGE_LIMITS } from './images/image-processing.js';
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
    // The gateway's address as browsers reach it: image and upload URLs are under it.
    PUBLIC_URL: z.string().url().default('http://localhost:4000'),
    // Resizes this process runs at once (each on one libvips thread); more wait their turn.
    IMAGE_RESIZE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    // New sizes that may wait for a resize: a catalogue page's worth of first requests (about 60 ms
    // each for a catalogue-sized original); past them a request is told to try again (503).
    IMAGE_RESIZES_WAITING: z.coerce.number().int().min(0).max(10_000).default(64),
    // An upload's limits: the contract's (10 MiB, 50 megapixels) unless lowered.
    IMAGE_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).max(CONTRACT_IMAGE_LIMITS.maxBytes).default(CONTRACT_IMAGE_LIMITS.maxBytes),
    IMAGE_MAX_PIXELS: z.coerce.number().int().min(10_000).max(CONTRACT_IMAGE_LIMITS.maxPixels).default(CONTRACT_IMAGE_LIMITS.maxPixels),
  });
