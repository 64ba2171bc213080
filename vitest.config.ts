import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests import workspace packages from their sources, so they never run against a stale build.
    conditions: ['@tessera/source'],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    reporters: ['default', './scripts/plain-summary-reporter.ts'],
    testTimeout: 30_000,
  },
});
