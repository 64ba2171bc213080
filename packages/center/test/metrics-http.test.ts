/**
 * GET /metrics: the License Center's Prometheus metrics, for allowed addresses or the metrics token only, and
 * clean under `promtool check metrics` (Prometheus's own linter, installed by the test setup when missing).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, startTestCenter } from './support/http.js';
import type { TestCenter } from './support/http.js';
import { DIALECTS } from './support/databases.js';

const TOKEN = 'metrics-token-0123456789';

function promtoolProblems(text: string): string {
  try {
    execFileSync(inject('promtoolPath'), ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return '';
  } catch (error) {
    const { stdout, stderr, status } = error as { stdout?: string; stderr?: string; status?: number };
    return `promtool exit ${status}: ${stdout ?? ''}${stderr ?? ''}`;
  }
}

describe.each(DIALECTS)('/metrics on %s', (dialect) => {
  let tc: TestCenter;

  beforeAll(async () => {
    tc = await startTestCenter(dialect, { TESSERA_METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('counts requests, LM syncs, job runs, licenses, the outbox and the pool, and promtool finds nothing to fault', async () => {
    const anonymous = new Client(tc.center.url);
    expect((await anonymous.get('/health')).status).toBe(200);
    expect((await anonymous.get('/v1/auth/me')).status).toBe(401);
    expect((await anonymous.post('/v1/lm/sync', { request: 'tessera-sync:garbage' })).status).toBe(400);
    await tc.customer('metrics@acme.example');
    await tc.center.jobs.runOnce();

    const response = await fetch(`${tc.center.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(promtoolProblems(text)).toBe('');
    expect(text).toContain('tessera_lc_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(text).toContain('tessera_lc_http_requests_total{method="GET",route="/v1/auth/me",status="401"} 1');
    expect(text).toMatch(/^tessera_lc_http_request_duration_seconds_bucket\{method="GET",route="\/health",le="\+Inf"\} 1$/m);
    expect(text).toContain('tessera_lc_lm_syncs_total{outcome="MALFORMED"} 1');
    expect(text).toContain('tessera_lc_job_runs_total{job="mail-delivery",outcome="ok"} 1');
    expect(text).toMatch(/^tessera_lc_job_last_run_age_seconds\{job="mail-delivery"\} \d/m);
    expect(text).toMatch(/^tessera_lc_licenses\{status="active"\} 0$/m);
    expect(text).toMatch(/^tessera_lc_mail_outbox_pending \d+$/m);
    expect(text).toMatch(/^tessera_lc_mail_outbox_oldest_age_seconds \d/m);
    expect(text).toMatch(/^tessera_lc_db_pool_max \d+$/m);
    expect(text).toMatch(/^tessera_lc_db_pool_connections\{state="open"\} \d+$/m);
    // A URL's ids never become label values: routes are counted by their pattern.
    expect(text).not.toMatch(/route="\/v1\/licenses\/lic_/);
  });

  it('has every metric the Grafana dashboard (deploy/grafana) charts', async () => {
    const text = await (await fetch(`${tc.center.url}/metrics`)).text();
    const dashboard = readFileSync(new URL('../../../deploy/grafana/tessera-license-center.json', import.meta.url), 'utf8');
    const charted = new Set([...dashboard.matchAll(/tessera_lc_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, '')));
    expect(charted.size).toBeGreaterThan(8);
    for (const family of charted) expect(text, family).toContain(`# TYPE ${family} `);
  });

  it('answers another address 404, as a route that does not exist, unless it sends the metrics token', async () => {
    const elsewhere = await startTestCenter(dialect, { TESSERA_METRICS_ALLOW: '10.0.0.0/8', TESSERA_METRICS_TOKEN: TOKEN });
    try {
      const refused = await fetch(`${elsewhere.center.url}/metrics`);
      expect(refused.status).toBe(404);
      expect(((await refused.json()) as any).error.code).toBe('NOT_FOUND');
      expect((await fetch(`${elsewhere.center.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(404);
      const allowed = await fetch(`${elsewhere.center.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain('# TYPE tessera_lc_http_requests_total counter');
    } finally {
      await elsewhere.close();
    }
  });

  it('refuses a configuration with a malformed address range or a short token', async () => {
    const { loadCenterConfig } = await import('../src/config.js');
    const bad = loadCenterConfig({ data: tc.target.dataDir }, { TESSERA_METRICS_ALLOW: '10.0.0.0/40', TESSERA_METRICS_TOKEN: 'short' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems).toContainEqual(expect.stringMatching(/TESSERA_METRICS_ALLOW/));
      expect(bad.problems).toContainEqual(expect.stringMatching(/TESSERA_METRICS_TOKEN/));
    }
  });
});
