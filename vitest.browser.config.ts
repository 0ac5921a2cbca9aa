import { defineConfig } from 'vitest/config';

/** Dashboard tests in headless Chromium (Debian package, never downloaded). */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
