import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import workspace packages from their sources, so they never run against a stale build.
    conditions: ['@tessera/source'],
  },
  test: {
    root,
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    reporters: ['default', `${root}scripts/plain-summary-reporter.ts`],
    testTimeout: 30_000,
  },
});
