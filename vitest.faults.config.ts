import { defineConfig } from 'vitest/config';

/** The fault suite: real processes, real outages. Files run one at a time; each prints its table. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
