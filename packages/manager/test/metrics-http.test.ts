/**
 * GET /metrics of a running License Manager: clean under `promtool check metrics` (Prometheus's own linter,
 * installed by the test setup when missing), in base units, with every metric the Grafana dashboard
 * (deploy/grafana/tessera-license-manager.json) charts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import { admin, call, DAY, licenseFor, makeWorld, start, T0 } from './support/world.js';
import type { World } from './support/world.js';

function promtoolProblems(text: string): string {
  try {
    execFileSync(inject('promtoolPath'), ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return '';
  } catch (error) {
    const { stdout, stderr, status } = error as { stdout?: string; stderr?: string; status?: number };
    return `promtool exit ${status}: ${stdout ?? ''}${stderr ?? ''}`;
  }
}

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

let world: World;
let lm: Daemon;
beforeAll(async () => {
  world = makeWorld();
  lm = await start(world);
});
afterAll(async () => {
  await lm.close();
  world.cleanup();
});

describe('GET /metrics', () => {
  it('without a license: promtool finds nothing to fault, and there is no time left to show', async () => {
    const { status, headers, body } = await call(lm, 'GET', '/metrics');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(promtoolProblems(body)).toBe('');
    expect(body).toMatch(/^tessera_lm_license_status\{status="NotExist"\} 1$/m);
    expect(body).not.toMatch(/^tessera_lm_license_remaining_seconds /m);
  });

  it('with seats taken and refused: seconds left to the expiry, seats licensed and used per role, refusals by code', async () => {
    // Expires 10 days, 6 hours and 5 seconds after the LM's clock: the whole seconds, not whole days.
    const expiresAt = T0 + 10 * DAY + 6 * 3_600_000 + 5_000;
    expect(
      (await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid, { expiresAt: new Date(expiresAt).toISOString() }) })).status,
    ).toBe(200);
    for (const nodeId of ['q1', 'q2', 'q3']) {
      await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId, instance: `proc-${nodeId}` });
    }
    const text = (await call(lm, 'GET', '/metrics')).body as string;
    expect(promtoolProblems(text)).toBe('');
    expect(sample(text, 'tessera_lm_license_remaining_seconds')).toBe((expiresAt - T0) / 1000);
    expect(sample(text, 'tessera_lm_seats_limit{role="query"}')).toBe(2);
    expect(sample(text, 'tessera_lm_seats_limit{role="storage"}')).toBe(3);
    expect(sample(text, 'tessera_lm_seats_used{role="query"}')).toBe(2);
    expect(sample(text, 'tessera_lm_seat_refusals_total{code="TOO_MANY_NODES"}')).toBe(1);
    expect(text).toContain('# TYPE tessera_lm_seats_limit gauge');
    // The names before this release are gone: an alert on them must move (docs/license-manager.md, Metrics).
    expect(text).not.toMatch(/tessera_lm_license_days_left|tessera_lm_seats_total/);

    world.clock.advance(12 * DAY); // in grace: the time left is negative
    const grace = (await call(lm, 'GET', '/metrics')).body as string;
    expect(promtoolProblems(grace)).toBe('');
    expect(sample(grace, 'tessera_lm_license_remaining_seconds')).toBe((expiresAt - T0 - 12 * DAY) / 1000);
    expect(grace).toMatch(/^tessera_lm_license_status\{status="Grace"\} 1$/m);
  });

  it('has every metric the Grafana dashboard (deploy/grafana) charts', async () => {
    const text = (await call(lm, 'GET', '/metrics')).body as string;
    const dashboard = readFileSync(new URL('../../../deploy/grafana/tessera-license-manager.json', import.meta.url), 'utf8');
    const charted = new Set([...dashboard.matchAll(/tessera_lm_[a-z_]+/g)].map((m) => m[0]));
    expect(charted.size).toBeGreaterThan(8);
    for (const family of charted) expect(text, family).toContain(`# TYPE ${family} `);
  });
});
