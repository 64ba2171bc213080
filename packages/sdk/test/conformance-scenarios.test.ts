/**
 * The conformance scenarios (sdks/conformance/scenarios.json) with this SDK against real License Managers: the
 * tessera-lm binary of this workspace, started, stopped and replaced by the world server (sdks/conformance/world).
 * The Go SDK runs the same file against the same world server.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, inject, it } from 'vitest';
import { startWorldServer } from '../../../sdks/conformance/world/server.js';
import type { WorldServer } from '../../../sdks/conformance/world/server.js';
import { ScenarioRun } from './support/conformance.js';
import type { Scenario } from './support/conformance.js';

const { scenarios } = JSON.parse(readFileSync(new URL('../../../sdks/conformance/scenarios.json', import.meta.url), 'utf8')) as {
  scenarios: Scenario[];
};

let server: WorldServer;
let run: ScenarioRun | null = null;

beforeAll(async () => {
  // The test run's PostgreSQL, for the scenarios with License Manager replicas.
  server = await startWorldServer({ postgresUrl: inject('postgresUrl') });
});
afterEach(async () => {
  await run?.close();
  run = null;
  await fetch(`${server.url}/reset`, { method: 'POST' });
});
afterAll(async () => {
  await server.close();
});

describe('conformance scenarios', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const info = (await (await fetch(`${server.url}/info`)).json()) as { product: string; root: string };
    run = new ScenarioRun(server.url, info.product, info.root);
    await run.run(scenario);
  });
});
