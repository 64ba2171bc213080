/**
 * License Manager replicas sharing one PostgreSQL database (DESIGN decision 11), in this process against the test
 * cluster: one LMID everywhere, any replica serves any lease, a role's limit holds across them, the sealed guards are
 * shared and cannot be rolled back under them. Chaos with real processes (kill -9, a restarted server) is in
 * test/chaos/.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { generateOnlineKey, parseEnvelope } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { startDaemon } from '../src/daemon.js';
import type { LmConfig } from '../src/config.js';
import { createDatabase, replicaConfig, sharedDbUrl } from './support/shared-db.js';
import type { TestDatabase } from './support/shared-db.js';
import { startFakeCenter } from './support/fake-center.js';
import { admin, call, DAY, licenseFor, makeWorld, silentLogger, T0 } from './support/world.js';
import type { World } from './support/world.js';
import { BIN } from './support/process.js';
import { until } from './support/until.js';

let db: TestDatabase;
let world: World;
const running: Daemon[] = [];

function replica(index: number, change: Partial<LmConfig> = {}): Promise<Daemon> {
  return startDaemon({
    config: replicaConfig(world, db.url, index, change),
    clock: world.clock,
    logger: silentLogger,
    timers: { replicaTickMs: 50, renewalFlushMs: 50 },
  }).then((daemon) => {
    running.push(daemon);
    return daemon;
  });
}

async function stop(daemon: Daemon): Promise<void> {
  running.splice(running.indexOf(daemon), 1);
  await daemon.close();
}

/** The CLI as a child process, without blocking this process (which serves the replicas it asks). */
const cli = async (args: string[]) => (await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 20_000 })).stdout;

const seat = (nodeId: string, instance = `proc-${nodeId}`, role = 'query') => ({ product: 'graphdb', role, nodeId, instance });

beforeEach(async () => {
  if (!sharedDbUrl) return;
  db = await createDatabase();
  world = makeWorld();
});
afterEach(async () => {
  if (!sharedDbUrl) return;
  for (const daemon of running.splice(0)) await daemon.close();
  await db.drop();
  world.cleanup();
});

describe.skipIf(!sharedDbUrl)('License Manager replicas on one PostgreSQL database', () => {
  it('show one LMID and admin token, and list the replicas with which are live', async () => {
    const [a, b] = [await replica(1), await replica(2)];
    expect(b.lmid).toBe(a.lmid);
    expect(b.services.adminToken).toBe(a.services.adminToken);
    await db.query(`INSERT INTO tessera_lm_replicas VALUES ('rep_gone', 'old-host', 1, 9119, '0.0.1', $1, $1)`, [T0 - 3_600_000]);
    const info = await until(
      async () => (await call(a, 'GET', '/v1/info')).body,
      (body) => body.replicas?.length === 3,
      'three replicas listed',
    );
    // Listed by start time (the two started at the same moment of this test's clock, in either order).
    const listed = info.replicas.map((r: { port: number; live: boolean; self: boolean }) => [r.port, r.live, r.self]);
    expect(listed[0]).toEqual([9119, false, false]);
    expect(listed.slice(1)).toEqual(
      expect.arrayContaining([
        [a.port, true, true],
        [b.port, true, false],
      ]),
    );
    const printed = await cli(['--addr', `127.0.0.1:${b.port}`, 'info']);
    expect(printed).toMatch(/Replicas:\s+2 live of 3/);
    expect(printed).toMatch(new RegExp(`${b.port}\\s+live.*this one`));
    await stop(b);
    await until(
      async () => (await call(a, 'GET', '/v1/info')).body.replicas.length,
      (n) => n === 2,
      'a cleanly stopped replica is no longer listed',
    );
  });

  it('serves a license loaded at one replica at the other; any replica renews and releases any lease', async () => {
    const [a, b] = [await replica(1), await replica(2)];
    expect((await admin(a, '/v1/admin/load', { key: licenseFor(world, a.lmid) })).status).toBe(200);
    await until(
      async () => (await call(b, 'GET', '/v1/info')).body.status,
      (s) => s === 'Normal',
      'the license in force at b',
    );
    const out = await call(a, 'POST', '/v1/seats/checkout', seat('q1'));
    expect(out.status).toBe(200);
    const hb = await call(b, 'POST', '/v1/seats/heartbeat', { leaseId: out.body.leaseId, instance: 'proc-q1' });
    expect(hb.status).toBe(200);
    expect(parseEnvelope(hb.body.token, 'lease')).toMatchObject({
      ok: true,
      value: { payload: { leaseId: out.body.leaseId, lmid: a.lmid } },
    });
    expect(hb.body.leaseId).toBe(out.body.leaseId);
    expect((await call(b, 'GET', '/v1/usage')).body.roles.query).toEqual({ total: 2, used: 1, free: 1 });
    // Another process's heartbeat or release of the lease is LEASE_NOT_FOUND at every replica.
    expect((await call(b, 'POST', '/v1/seats/heartbeat', { leaseId: out.body.leaseId, instance: 'other' })).status).toBe(404);
    expect((await call(b, 'POST', '/v1/seats/release', { leaseId: out.body.leaseId, instance: 'proc-q1' })).status).toBe(200);
    // a renewed it in memory: within one batch write it learns the lease is gone, and answers as the database does.
    await until(
      async () => (await call(a, 'POST', '/v1/seats/heartbeat', { leaseId: out.body.leaseId, instance: 'proc-q1' })).status,
      (status) => status === 404,
      'a heartbeat at a after the release at b',
    );
    expect((await call(a, 'GET', '/v1/usage')).body.roles.query.used).toBe(0);
  });

  it('does not keep a lease alive from memory once its row was edited in the database (a role renamed to free a seat)', async () => {
    const a = await replica(1);
    expect((await admin(a, '/v1/admin/load', { key: licenseFor(world, a.lmid) })).status).toBe(200);
    const out = await call(a, 'POST', '/v1/seats/checkout', seat('q1'));
    expect((await call(a, 'POST', '/v1/seats/heartbeat', { leaseId: out.body.leaseId, instance: 'proc-q1' })).status).toBe(200);
    // The customer's UPDATE: the row no longer counts for query, so a third query node would get a seat.
    await db.query("UPDATE tessera_lm_leases SET role = 'storage' WHERE id = $1", [out.body.leaseId]);
    const roleOfNextRenewal = async () => {
      world.clock.advance(1000); // each renewal runs further, so a replica writes it from memory
      const answer = await call(a, 'POST', '/v1/seats/heartbeat', { leaseId: out.body.leaseId, instance: 'proc-q1' });
      if (answer.status !== 200) return `refused ${answer.status}`;
      const token = parseEnvelope(answer.body.token, 'lease');
      return token.ok ? String(token.value.payload.role) : 'unreadable';
    };
    // Within a batch write, a learns the row is not the lease it holds: it stops renewing q1 as a query seat.
    expect(await until(roleOfNextRenewal, (role) => role !== 'query', 'a renewal that is no longer a query seat from memory')).not.toBe(
      'query',
    );
  });

  it('grants exactly 50 of 200 concurrent checkouts for a role of 50 spread over both replicas', async () => {
    const [a, b] = [
      await replica(1, { seats: { secret: null, checkoutsPerMinute: 10_000 } }),
      await replica(2, { seats: { secret: null, checkoutsPerMinute: 10_000 } }),
    ];
    await admin(a, '/v1/admin/load', { key: licenseFor(world, a.lmid, { nodes: { query: 50, storage: 1 } }) });
    await until(
      async () => (await call(b, 'GET', '/v1/info')).body.status,
      (s) => s === 'Normal',
      'the license at b',
    );
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call(i % 2 === 0 ? a : b, 'POST', '/v1/seats/checkout', seat(`n${i}`))),
    );
    const granted = answers.filter((r) => r.status === 200);
    expect(granted).toHaveLength(50);
    expect(answers.filter((r) => r.status === 409).every((r) => r.body.error.code === 'TOO_MANY_NODES')).toBe(true);
    expect(answers.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);
    const [{ live }] = (await db.query<{ live: string }>('SELECT count(*) AS live FROM tessera_lm_leases WHERE role = $1', ['query'])) as [
      { live: string },
    ];
    expect(Number(live)).toBe(50);
  });

  it('shares the serial floor and the clock mark: what one replica accepted, the other never goes below', async () => {
    const [a, b] = [await replica(1), await replica(2)];
    expect((await admin(a, '/v1/admin/load', { key: licenseFor(world, a.lmid, { serial: 2 }) })).status).toBe(200);
    await until(
      async () => (await call(b, 'GET', '/v1/info')).body.serial,
      (s) => s === 2,
      'serial 2 at b',
    );
    const older = await admin(b, '/v1/admin/load', { key: licenseFor(world, a.lmid, { serial: 1 }) });
    expect(older.body.error).toMatchObject({ code: 'SUPERSEDED' });
    world.clock.advance(3_600_000);
    await call(a, 'GET', '/v1/info'); // a reads the clock: the mark moves to it
    await until(
      () => b.services.license.highWaterTime,
      (mark) => mark === T0 + 3_600_000,
      'the mark at b',
    );
    world.clock.advance(-3_600_000);
    expect((await call(b, 'GET', '/v1/info')).body).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
  });

  it('refuses to start a replica given another HA secret', async () => {
    await replica(1);
    const wrong = replicaConfig(world, db.url, 2);
    wrong.database = { ...wrong.database!, secret: 'c'.repeat(64) };
    await expect(startDaemon({ config: wrong, clock: world.clock, logger: silentLogger })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
      message: expect.stringContaining('give this replica the same ha.secret as the others'),
    });
  });

  it('puts back a sealed state rolled back or deleted under running replicas, and refuses to start on an edited or deleted one', async () => {
    const [a] = [await replica(1), await replica(2)];
    await admin(a, '/v1/admin/load', { key: licenseFor(world, a.lmid, { serial: 1 }) });
    const first = (await db.query<{ sealed: string }>('SELECT sealed FROM tessera_lm_sealed'))[0]!.sealed;
    await admin(a, '/v1/admin/load', { key: licenseFor(world, a.lmid, { serial: 2 }) });
    // The customer restores the row of serial 1, to load serial 1 again.
    await db.query('UPDATE tessera_lm_sealed SET sealed = $1, version = version + 1', [first]);
    const serialOf = async () =>
      JSON.parse((await db.query<{ sealed: string }>('SELECT sealed FROM tessera_lm_sealed'))[0]!.sealed).serials.lic_lmtest;
    await until(serialOf, (serial) => serial === 2, 'the rolled back row written again');
    const events = await db.query('SELECT kind, code FROM tessera_lm_events WHERE kind = $1', ['seal.repaired']);
    expect(events[0]).toMatchObject({ code: 'SUPERSEDED' });
    await db.query('DELETE FROM tessera_lm_sealed');
    await until(
      async () => (await db.query('SELECT 1 FROM tessera_lm_sealed')).length,
      (n) => n === 1,
      'a deleted row written again',
    );
    for (const daemon of running.splice(0)) await daemon.close();

    const text = (await db.query<{ sealed: string }>('SELECT sealed FROM tessera_lm_sealed'))[0]!.sealed;
    await db.query('UPDATE tessera_lm_sealed SET sealed = $1', [text.replace('"lic_lmtest": 2', '"lic_lmtest": 1')]);
    await expect(replica(3)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    await db.query('DELETE FROM tessera_lm_sealed');
    await expect(replica(3)).rejects.toMatchObject({ code: 'MALFORMED', message: expect.stringContaining('was deleted') });
  });

  it('syncs online at one replica at a time: a due sync runs once, and one asked for while another replica syncs is RATE_LIMITED', async () => {
    const center = await startFakeCenter({ now: () => world.clock.now() });
    try {
      world.cleanup();
      world = makeWorld({ center: { url: center.url } }, center.vendor);
      const [a, b] = [await replica(1), await replica(2)];
      const onlineKey = generateOnlineKey();
      center.addLicense(onlineKey, {
        id: 'lic_online1',
        serial: 1,
        product: 'graphdb',
        customer: { id: 'cus_1', name: 'Online Customer' },
        nodes: { query: 1 },
        limits: {},
        features: [],
        issuedAt: new Date(T0 - DAY).toISOString(),
        startsAt: new Date(T0 - DAY).toISOString(),
        expiresAt: new Date(T0 + 300 * DAY).toISOString(),
        mode: 'online',
        lmid: a.lmid,
      });
      expect((await admin(b, '/v1/admin/load', { key: onlineKey })).body).toMatchObject({ status: 'Normal', mode: 'online' });
      await until(
        async () => (await call(a, 'GET', '/v1/info')).body.status,
        (s) => s === 'Normal',
        'the online license at a',
      );
      const before = center.requests.length;

      // Another replica holds the sync lease (it is syncing): a sync asked for here waits for it, never runs beside it.
      await db.query(`UPDATE tessera_lm_sync_leader SET replica = 'rep_other', until = $1`, [T0 + DAY]);
      const busy = await admin(a, '/v1/admin/sync');
      expect(busy.status).toBe(429);
      expect(busy.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('rep_other') });
      expect(center.requests.length).toBe(before);
      await db.query('UPDATE tessera_lm_sync_leader SET until = 0');

      // Due at both replicas at once: one of them syncs, and once both have seen that sync, neither runs it again.
      world.clock.advance(60 * 60_000 + 1000);
      await until(
        () => center.requests.length,
        (n) => n === before + 1,
        'the due sync',
      );
      const synced = await until(
        async () => (await db.query<{ until: number }>('SELECT until FROM tessera_lm_sync_leader'))[0]!.until,
        (held) => Number(held) === 0,
        'the sync lease given back',
      );
      expect(Number(synced)).toBe(0);
      for (const lm of [a, b]) {
        await until(
          async () => (await call(lm, 'GET', '/v1/info')).body.lastSync.at,
          (at) => at === new Date(T0 + 60 * 60_000 + 1000).toISOString(),
          'the sync seen',
        );
      }
      expect(center.requests.length).toBe(before + 1);
    } finally {
      await center.close();
    }
  });
});
