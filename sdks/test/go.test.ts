/**
 * The Go SDK's suites, run by `npm test`: go vet, then go test -race over sdks/go, whose tests run every
 * conformance vector and scenario (the scenarios against real tessera-lm processes through the world server). The
 * results are read from go test -json, and every vector and scenario must have passed by name: a suite that
 * stopped running some is a failure, not a smaller green. A missing Go toolchain fails with a sentence.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { findGo, goEnv } from './toolchains.js';

const GO_DIR = fileURLToPath(new URL('../go', import.meta.url));
/** Every Go module of the repository: the SDK, and guard's enforcer written in Go (tested in examples/guard/test). */
const GO_MODULES = [GO_DIR, fileURLToPath(new URL('../../examples/guard/enforcer-go', import.meta.url))];
const CONFORMANCE = fileURLToPath(new URL('../conformance/', import.meta.url));

/** What the Go tests must have run: each vector file under its test, and the scenarios. */
const EXPECTED: Record<string, string[]> = {
  TestConformanceRoots: names('vectors/roots.json', 'vectors'),
  TestConformanceTrustBundles: names('vectors/trust-bundles.json', 'vectors'),
  TestConformanceLicenses: names('vectors/licenses.json', 'vectors'),
  TestConformanceLeaseTokens: names('vectors/lease-tokens.json', 'vectors'),
  TestConformanceLMAnswers: names('vectors/lm-answers.json', 'vectors'),
  'TestConformanceScenarios/each': names('scenarios.json', 'scenarios'),
};

function names(file: string, list: string): string[] {
  return (JSON.parse(readFileSync(CONFORMANCE + file, 'utf8')) as Record<string, { name: string }[]>)[list]!.map((v) => v.name);
}

/** Go's subtest name for a vector or scenario name (spaces become underscores; the rest is kept). */
const subtest = (name: string) => name.replace(/ /g, '_');

interface GoEvent {
  Action: string;
  Package?: string;
  Test?: string;
  Output?: string;
}

let go: { path: string; version: string };
// The test run's PostgreSQL, for the scenarios with License Manager replicas (the world servers get it).
const env = { ...goEnv(), TESSERA_POSTGRES_URL: inject('postgresUrl') ?? '' };

beforeAll(() => {
  const found = findGo();
  if (!found.ok) throw new Error(found.missing);
  go = found;
});

describe('Go SDK (sdks/go)', () => {
  it.each(GO_MODULES)(
    'go vet finds nothing in %s',
    (dir) => {
      const vet = spawnSync(go.path, ['vet', './...'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      expect(vet.status, vet.stderr).toBe(0);
    },
    120_000,
  );

  it.each(GO_MODULES)('gofmt leaves every file of %s as it is', (dir) => {
    const gofmt = spawnSync(go.path.replace(/go$/, 'gofmt'), ['-l', '.'], { cwd: dir, env, encoding: 'utf8' });
    expect(gofmt.status, gofmt.stderr).toBe(0);
    expect(gofmt.stdout.trim(), 'files gofmt would change').toBe('');
  });

  // One go test run (it builds with the race detector, then runs the scenarios against real processes: about a
  // minute), then every vector and scenario is checked by name in its -json report.
  it('go test -race passes every conformance vector and scenario', () => {
    const run = spawnSync(go.path, ['test', '-race', '-count=1', '-json', './...'], {
      cwd: GO_DIR,
      env,
      encoding: 'utf8',
      timeout: 420_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const events = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as GoEvent);
    const failed = events.filter((e) => e.Action === 'fail' && e.Test).map((e) => e.Test);
    const output = events
      .filter((e) => e.Output && failed.some((test) => e.Test === test))
      .map((e) => e.Output)
      .join('');
    expect(failed, output || run.stderr).toEqual([]);
    expect(run.status, run.stderr).toBe(0);
    const passed = new Set(events.filter((e) => e.Action === 'pass' && e.Test).map((e) => e.Test!));
    for (const [test, list] of Object.entries(EXPECTED)) {
      expect(passed, test).toContain(test);
      const missing = list.filter((name) => !passed.has(`${test}/${subtest(name)}`));
      expect(missing, `${test}: not run or not passed`).toEqual([]);
    }
  }, 420_000);
});
