/** Remote clusters bounded by `remote_clusters`, and the actions gated by the `scan` and `enforce` features. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHILDREN, getJson, loadGuardLicense, pageText, Programs, send, startLm, waitUntil } from './support/guard.js';
import type { Lm } from './support/guard.js';

let lm: Lm;
let url: string;
const programs = new Programs();

beforeEach(async () => {
  lm = await startLm();
  await loadGuardLicense(lm, { features: ['scan'], limits: { remote_clusters: 2 } });
  url = (await programs.startController(lm)).url;
});
afterEach(async () => {
  await programs.killAll();
  await lm.close();
});

describe('remote clusters', CHILDREN, () => {
  it('joins up to remote_clusters and refuses one more with LIMIT_EXCEEDED naming the limit', async () => {
    expect((await send(url + '/api/clusters', 'POST', { name: 'east' })).status).toBe(201);
    expect((await send(url + '/api/clusters', 'POST', { name: 'west' })).status).toBe(201);
    const again = await send(url + '/api/clusters', 'POST', { name: 'east' });
    expect([again.status, again.body.cluster.name, again.body.joined]).toEqual([200, 'east', 2]);

    const third = await send(url + '/api/clusters', 'POST', { name: 'north' });
    expect([third.status, third.body.error.code]).toEqual([403, 'LIMIT_EXCEEDED']);
    expect(third.body.error.message).toBe(
      'The license allows 2 remote clusters (limit remote_clusters), and 2 are joined; leave one, or ask your vendor for a license with a higher remote_clusters.',
    );
    const { text } = await pageText(url);
    expect(text).toContain('Joined 2 of 2 allowed (limit remote_clusters)');
    expect(text).toMatch(/east since .* west since/);

    expect(await send(url + '/api/clusters/west', 'DELETE')).toMatchObject({ status: 200, body: { left: true, joined: 1 } });
    expect((await send(url + '/api/clusters', 'POST', { name: 'north' })).status).toBe(201);
    expect((await getJson(url + '/api/status')).clusters.joined.map((c: any) => c.name)).toEqual(['east', 'north']);
  });

  it('answers leaving an unknown cluster with NOT_FOUND and a bad name with BAD_REQUEST', async () => {
    const unknown = await send(url + '/api/clusters/nowhere', 'DELETE');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    for (const body of [{}, { name: 'East Coast' }, { name: 7 }]) {
      const bad = await send(url + '/api/clusters', 'POST', body);
      expect([bad.status, bad.body.error.code]).toEqual([400, 'BAD_REQUEST']);
      expect(bad.body.error.message).toMatch(/"name" is missing or not a cluster name/);
    }
    const text = await fetch(url + '/api/clusters', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'east' });
    expect([text.status, ((await text.json()) as any).error.code]).toEqual([415, 'BAD_REQUEST']);
  });
});

describe('features', CHILDREN, () => {
  it('allows scan and refuses enforce when only scan is licensed', async () => {
    const scan = await send(url + '/api/scan', 'POST');
    expect(scan).toMatchObject({ status: 200, body: { action: 'scan', done: true } });
    const enforce = await send(url + '/api/enforce', 'POST');
    expect([enforce.status, enforce.body.error.code]).toEqual([403, 'FEATURE_NOT_LICENSED']);
    expect(enforce.body.error.message).toMatch(/needs the "enforce" feature, which the license in force does not include/);
    expect((await getJson(url + '/api/status')).features).toEqual({ scan: true, enforce: false, federation: false });
    expect((await pageText(url)).text).toMatch(/scan on enforce off federation off/);
  });

  it('follows a new license without a restart: enforce turns on, the cluster limit grows', async () => {
    await send(url + '/api/clusters', 'POST', { name: 'east' });
    await send(url + '/api/clusters', 'POST', { name: 'west' });
    await loadGuardLicense(lm, { serial: 2, features: ['scan', 'enforce', 'federation'], limits: { remote_clusters: 3 } });
    await waitUntil(async () => (await send(url + '/api/enforce', 'POST')).status === 200, 'enforce to be allowed');
    expect((await send(url + '/api/clusters', 'POST', { name: 'north' })).status).toBe(201);
    expect((await getJson(url + '/api/status')).features).toEqual({ scan: true, enforce: true, federation: true });
  });
});

describe('the API', CHILDREN, () => {
  it('answers an unknown path with NOT_FOUND and a wrong method with METHOD_NOT_ALLOWED', async () => {
    const missing = await send(url + '/api/nothing', 'GET');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const response = await fetch(url + '/api/status', { method: 'DELETE' });
    expect([response.status, ((await response.json()) as any).error.code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect(response.headers.get('allow')).toBe('GET');
  });
});
