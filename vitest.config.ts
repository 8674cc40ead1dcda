import { statfsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Tests import @greencart/client as TypeScript source (the "@greencart/source" condition of its
// package.json), so they need no build of it; the rest are Vitest's own server conditions.
const sourceConditions = ['@greencart/source', 'node', 'development|production'];

// Temporary folders (the run's PostgreSQL, the copies and builds of the repository, npm start's data
// folders) in memory when /dev/shm has room, unless TMPDIR says where: written to the disk, the
// production build's `npm ci` alone spent ~30 s more of the kernel's CPU, and every commit waits for
// an fsync. Tests and the processes they start all find the folder through TMPDIR (os.tmpdir()).
const MEMORY_TMPDIR = '/dev/shm';
if (!process.env.TMPDIR) {
  try {
    const { bavail, bsize } = statfsSync(MEMORY_TMPDIR);
    if (bavail * bsize >= 4 * 1024 ** 3) process.env.TMPDIR = MEMORY_TMPDIR;
  } catch {
    // No /dev/shm (macOS, Windows): the system's temporary folder.
  }
}

export default defineConfig({
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ['test/**/*.test.ts', 'scripts/test/**/*.test.ts', 'platform/test/**/*.test.ts', 'subgraphs/*/test/**/*.test.ts', 'gateway/test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Limits that catch a hung test, not timings: on a loaded 2-core machine a test that starts
    // processes runs several times slower than here idle (a race of 40 buyers passed 30 s).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each test file starts its own four servers on fresh databases; two at a time suit 2 cores.
    maxWorkers: 2,
    // Files share their worker's modules rather than importing the gateway, the subgraphs and their
    // libraries again each (about 4.7 s of CPU a file, a third of the suite's time on 2 cores).
    // Every file starts and stops its own servers; none mocks a module.
    isolate: false,
  },
});
