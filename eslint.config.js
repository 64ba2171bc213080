// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

const IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'child_process',
  'os',
  'dgram',
  'dns',
  'tls',
  'worker_threads',
  'cluster',
  'readline',
  'process',
  'perf_hooks',
  'timers',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'apps/*/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The portal runs in the browser. A license key must never reach the console, so nothing may write there.
    files: ['apps/portal/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      'react-hooks/exhaustive-deps': 'error',
      'no-console': 'error',
    },
  },
  {
    // The License Manager console's modules run in the browser, the admin token at hand: nothing may write to the console.
    files: ['packages/manager/src/http/console/browser.ts', 'packages/manager/src/http/console/forms.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-console': 'error' },
  },
  {
    // Tests read JSON answers of every shape; typing each one would be noise.
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // packages/core stays pure: no I/O modules, no clock reads, no ambient process state. Time is passed in.
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'packages/core is pure: no I/O.' })) },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'packages/core is pure: pass configuration in.' },
        { name: 'performance', message: 'packages/core is pure: pass time in.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'packages/core is pure: pass time in (now).',
        },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'packages/core is pure: pass time in (now).' },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'packages/core is pure: pass randomness in.',
        },
        { selector: "CallExpression[callee.name='fetch']", message: 'packages/core is pure: no network.' },
      ],
    },
  },
  {
    // One error model: a refusal's HTTP status is its code's, from core's table (ApiError.of, refuse, valueOf).
    files: ['packages/center/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='ApiError']",
          message: "A code's status comes from core's table: use ApiError.of(failure), refuse(code, message) or valueOf(result).",
        },
      ],
    },
  },
  {
    // Dialect SQL in one place: what differs by database is in packages/center/src/db/dialects, and hand-written
    // SQL in db/; services and jobs say the rest in Kysely's query builder.
    files: ['packages/center/src/services/**/*.ts', 'packages/center/src/jobs/**/*.ts', 'packages/center/src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kysely',
              importNames: ['sql', 'PostgresAdapter', 'SqliteAdapter'],
              message: 'Dialect statements live in db/dialects and hand-written SQL in db/expressions.ts.',
            },
          ],
        },
      ],
    },
  },
);
