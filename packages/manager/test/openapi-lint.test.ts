/**
 * docs/lm-openapi.yaml passes the format's own linter: redocly's recommended rules, no error and no warning (as the
 * License Center's /openapi.json does). Redocly CLI is a devDependency (npm ci installs it); its absence is a
 * failure, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LM_OPENAPI_FILE } from './support/lm-openapi.js';

const REDOCLY = fileURLToPath(new URL('../../../node_modules/@redocly/cli/bin/cli.js', import.meta.url));

describe('docs/lm-openapi.yaml under redocly lint', () => {
  it('has no error and no warning under the recommended rules', () => {
    expect(existsSync(REDOCLY), 'redocly CLI missing: run npm ci (it is a devDependency)').toBe(true);
    let output: string;
    try {
      output = execFileSync(
        process.execPath,
        [REDOCLY, 'lint', fileURLToPath(LM_OPENAPI_FILE), '--extends=recommended', '--format=json', '--max-problems=1000'],
        {
          encoding: 'utf8',
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    } catch (error) {
      // Exit code 1 with problems: the JSON report is still on stdout.
      output = (error as { stdout?: string }).stdout ?? '';
    }
    const report = JSON.parse(output.slice(output.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);
});
