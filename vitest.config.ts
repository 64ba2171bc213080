import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  // Tests import workspace packages from their sources, so they never run against a stale build. Vitest runs
  // tests in Vite's SSR environment, which has its own resolve conditions.
  resolve: { conditions: ['@tessera/source'] },
  ssr: { resolve: { conditions: ['@tessera/source'], externalConditions: ['@tessera/source'] } },
  test: {
    root,
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'scripts/test/**/*.test.ts',
      'scripts/package/test/**/*.test.ts',
      'sdks/test/**/*.test.ts',
      'apps/portal/test/**/*.test.ts',
    ],
    reporters: ['default', `${root}scripts/plain-summary-reporter.ts`],
    testTimeout: 30_000,
    globalSetup: [
      `${root}scripts/vitest-global-setup.ts`,
      `${root}scripts/postgres-global-setup.ts`,
      `${root}scripts/browser-global-setup.ts`,
      `${root}scripts/promtool-global-setup.ts`,
    ],
  },
});
