import { defineConfig } from 'vitest/config';

// Unit tests run in-process; e2e tests spawn the built binary and hns-mock as real processes.
// Both live in one run so `npm test` is the single command CI calls.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
