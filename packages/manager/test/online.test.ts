import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateOnlineKey } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { startFakeCenter } from './support/fake-center.js';
import type { FakeCenter } from './support/fake-center.js';
import { admin, call, DAY, makeWorld, start, T0 } from './support/world.js';
import type { World } from './support/world.js';

let center: FakeCenter;
let world: World;
let lm: Daemon;
const onlineKey = generateOnlineKey();

beforeEach(async () => {
  center = await startFakeCenter({ now: () => world.clock.now() });
  world = makeWorld({ center: { url: center.url } }, center.vendor);
  lm = await start(world);
  center.addLicense(onlineKey, {
    id: 'lic_online1',
    serial: 1,
    product: 'graphdb',
    customer: { id: 'cus_1', name: 'Online Customer' },
    nodes: { query: 1, storage: 1 },
    limits: {},
    features: [],
    issuedAt: new Date(T0 - DAY).toISOString(),
    startsAt: new Date(T0 - DAY).toISOString(),
    expiresAt: new Date(T0 + 30 * DAY + 1).toISOString(),
    mode: 'online',
    lmid: lm.lmid,
  });
});
afterEach(async () => {
  await lm.close();
  await center.close();
  world.cleanup();
});

describe('online mode', () => {
  it('loads an online key, pulls the license from LC and masks the key', async () => {
    const { status, body } = await admin(lm, '/v1/admin/load', { key: ` ${onlineKey.toLowerCase()}\n` });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'Normal', mode: 'online', licenseId: 'lic_online1', serial: 1 });
    expect(body.licenseKey).toBe(`*****-*****-*****-*****-${onlineKey.slice(-5)}`);
    expect(body.lastSync).toMatchObject({ ok: true, error: null });
    expect(center.requests.at(-1)).toMatchObject({ lmid: lm.lmid, known: null });
    expect(JSON.stringify(await call(lm, 'GET', '/v1/info'))).not.toContain(onlineKey);
  });

  it('picks up a change on sync: a higher serial, more nodes, no restart', async () => {
    await admin(lm, '/v1/admin/load', { key: onlineKey });
    expect(
      (await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'proc-1' })).status,
    ).toBe(200);
    expect(
      (await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q2', instance: 'proc-1' })).status,
    ).toBe(409);
    const unchanged = await admin(lm, '/v1/admin/sync');
    expect(unchanged.body.changed).toBe(false);
    expect(center.requests.at(-1)?.known).toEqual({ licenseId: 'lic_online1', serial: 1 });
    expect(center.requests.at(-1)?.usage).toEqual({ query: 1, storage: 0 });
    center.update(onlineKey, { nodes: { query: 2, storage: 1 } });
    const changed = await admin(lm, '/v1/admin/sync');
    expect(changed.body).toMatchObject({ changed: true, info: { serial: 2 } });
    expect(
      (await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q2', instance: 'proc-1' })).status,
    ).toBe(200);
  });

  it('keeps the last good license when LC is down, and shows the failure in info and metrics', async () => {
    await admin(lm, '/v1/admin/load', { key: onlineKey });
    center.setDown(true);
    const failed = await admin(lm, '/v1/admin/sync');
    expect([failed.status, failed.body.error.code]).toEqual([502, 'CENTER_UNREACHABLE']);
    const info = (await call(lm, 'GET', '/v1/info')).body;
    expect(info).toMatchObject({ status: 'Normal', lastSync: { ok: false } });
    expect(info.lastSync.error).toBeTruthy();
    expect((await call(lm, 'GET', '/metrics')).body).toMatch(/^tessera_lm_sync_failures_total 1$/m);
    expect(
      (await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'proc-1' })).status,
    ).toBe(200);
    // The last good license still runs out on its own schedule: expiry, then grace, then refusal.
    world.clock.set(T0 + 46 * DAY);
    expect((await call(lm, 'GET', '/v1/info')).body.status).toBe('Expired');
  });

  it('shows Syncing until LC first answers, and refuses seats meanwhile', async () => {
    center.setDown(true);
    const loaded = await admin(lm, '/v1/admin/load', { key: onlineKey });
    expect(loaded.body).toMatchObject({ status: 'Syncing', mode: 'online' });
    expect(
      (await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'proc-1' })).body.error
        .code,
    ).toBe('NO_LICENSE');
    center.setDown(false);
    expect((await admin(lm, '/v1/admin/sync')).body.info.status).toBe('Normal');
  });

  it('refuses a sync for an online key LC does not know', async () => {
    const loaded = await admin(lm, '/v1/admin/load', { key: generateOnlineKey() });
    expect(loaded.body.status).toBe('Syncing');
    const sync = await admin(lm, '/v1/admin/sync');
    // The License Center's own answer (404 NOT_FOUND), passed on with the code's status.
    expect([sync.status, sync.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('says there is nothing to sync for an offline key', async () => {
    const { status, body } = await admin(lm, '/v1/admin/sync');
    expect([status, body.error.code]).toEqual([409, 'NOT_ONLINE']);
  });
});
