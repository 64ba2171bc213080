import { cpSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import { admin, call, licenseFor, makeWorld, start } from './support/world.js';
import type { World } from './support/world.js';

const opened: Daemon[] = [];
const worlds: World[] = [];
afterEach(async () => {
  for (const lm of opened.splice(0)) await lm.close();
  for (const world of worlds.splice(0)) world.cleanup();
});
async function open(world: World, fingerprint?: string) {
  const lm = await start(world, fingerprint ? { fingerprint } : {});
  opened.push(lm);
  return lm;
}

describe('a data path copied to another host', () => {
  it('shows another LMID there, and the license bound to the old one is Invalid (LMID_MISMATCH)', async () => {
    const world = makeWorld();
    worlds.push(world);
    const original = await open(world, 'host-a');
    expect((await admin(original, '/v1/admin/load', { key: licenseFor(world, original.lmid) })).status).toBe(200);
    await original.close();
    opened.splice(opened.indexOf(original), 1);

    const copy = makeWorld({}, world.vendor);
    worlds.push(copy);
    cpSync(world.config.dataPath, copy.config.dataPath, { recursive: true });
    const clone = await open(copy, 'host-b');
    expect(clone.lmid).not.toBe(original.lmid);
    const info = (await call(clone, 'GET', '/v1/info')).body;
    expect(info).toMatchObject({ lmid: clone.lmid, status: 'Invalid', code: 'LMID_MISMATCH' });
    const seat = await call(clone, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'proc-1' });
    expect(seat.body.error.code).toBe('LMID_MISMATCH');
  });

  it('keeps its LMID with fingerprint: installation, where the id lives in the data path (StatefulSet volume)', async () => {
    const world = makeWorld({ fingerprint: 'installation' });
    worlds.push(world);
    const first = await start(world, {});
    const lmid = first.lmid;
    await first.close();
    const again = await open(world);
    expect(again.lmid).toBe(lmid);
    const other = makeWorld({ fingerprint: 'installation' });
    worlds.push(other);
    expect((await open(other)).lmid).not.toBe(lmid);
  });
});

describe('clock safety', () => {
  it('makes the license Invalid (CLOCK_TAMPERED) when the clock is set back past the tolerance, until it is back', async () => {
    const world = makeWorld();
    worlds.push(world);
    const lm = await open(world);
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) });
    const now = world.clock.now();
    world.clock.set(now + 3 * 3_600_000);
    expect((await call(lm, 'GET', '/v1/info')).body.status).toBe('Normal');
    world.clock.set(now + 3 * 3_600_000 - 5 * 60_000); // 5 minutes back: within tolerance
    expect((await call(lm, 'GET', '/v1/info')).body.status).toBe('Normal');
    world.clock.set(now); // 3 hours back
    const info = (await call(lm, 'GET', '/v1/info')).body;
    expect(info).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
    expect(
      (await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'proc-1' })).body.error
        .code,
    ).toBe('CLOCK_TAMPERED');
    world.clock.set(now + 3 * 3_600_000);
    expect((await call(lm, 'GET', '/v1/info')).body.status).toBe('Normal');
  });

  it('remembers the highest time seen across a restart', async () => {
    const world = makeWorld();
    worlds.push(world);
    let lm = await start(world);
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) });
    const now = world.clock.now();
    world.clock.set(now + 86_400_000);
    await call(lm, 'GET', '/v1/info');
    await lm.close();
    world.clock.set(now);
    lm = await open(world);
    expect((await call(lm, 'GET', '/v1/info')).body.code).toBe('CLOCK_TAMPERED');
  });
});
