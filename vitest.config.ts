import { defineConfig } from 'vitest/config';

// Tests import @greencart/client as TypeScript source (the "@greencart/source" condition of its
// package.json), so they need no build of it; the rest are Vitest's own server conditions.
const sourceConditions = ['@greencart/source', 'node', 'development|production'];

export default defineConfig({
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ['test/**/*.test.ts', 'scripts/test/**/*.test.ts', 'platform/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'gateway/test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each test file starts its own four servers on fresh databases; two at a time suit 2 cores.
    maxWorkers: 2,
  },
});
