import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deriveLmid,
  fingerprintDigest,
  generateEd25519,
  generateOnlineKey,
  generateSigningKey,
  issueLicense,
  rawPublicKey,
} from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { admin, call, DAY, licenseFor, makeWorld, start, T0 } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon;
beforeEach(async () => {
  world = makeWorld();
  lm = await start(world);
});
afterEach(async () => {
  await lm.close();
  world.cleanup();
});

describe('a fresh License Manager', () => {
  it('shows its LMID with status NotExist from the first start', async () => {
    const { status, body } = await call(lm, 'GET', '/v1/info');
    expect(status).toBe(200);
    expect(body).toMatchObject({ lmid: lm.lmid, status: 'NotExist', code: 'NO_LICENSE', licenseKey: null, mode: null });
    expect(lm.lmid).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect((await call(lm, 'GET', '/health')).body).toEqual({ status: 'ok', licenseStatus: 'NotExist' });
  });

  it('keeps its LMID across restarts', async () => {
    const lmid = lm.lmid;
    await lm.close();
    lm = await start(world);
    expect(lm.lmid).toBe(lmid);
  });
});

describe('loading an offline key', () => {
  it('accepts a key pasted across lines with spaces, and takes effect at once', async () => {
    const key = licenseFor(world, lm.lmid);
    const pasted = `\n  ${key.slice(0, 80)}\n${key.slice(80, 300)} \r\n ${key.slice(300)}\n`;
    const { status, body } = await admin(lm, '/v1/admin/load', { key: pasted });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'Normal',
      code: 'VALID',
      licenseKey: 'lic_lmtest',
      mode: 'offline',
      product: 'graphdb',
      type: 'NODE',
    });
    expect(body.nodes).toEqual({ query: { total: 2, used: 0, free: 2 }, storage: { total: 3, used: 0, free: 3 } });
    expect((await call(lm, 'GET', '/health')).body.licenseStatus).toBe('Normal');
  });

  it('refuses a key bound to another LMID, even with force', async () => {
    const otherLmid = deriveLmid(rawPublicKey(generateEd25519().publicKey), fingerprintDigest('another-host'));
    const key = licenseFor(world, otherLmid);
    for (const force of [false, true]) {
      const { status, body } = await admin(lm, '/v1/admin/load', { key, force });
      expect([status, body.error?.code]).toEqual([409, 'LMID_MISMATCH']);
      expect(body.error.message).toContain(otherLmid);
    }
  });

  it('refuses a key signed by a vendor key it does not trust, naming the kid, even with force', async () => {
    const stranger = generateSigningKey();
    const key = issueLicense(
      {
        id: 'lic_x',
        serial: 1,
        product: 'graphdb',
        customer: { id: 'c', name: 'C' },
        nodes: { query: 1 },
        limits: {},
        features: [],
        issuedAt: '2026-11-01T00:00:00Z',
        startsAt: '2026-11-01T00:00:00Z',
        expiresAt: '2027-11-01T00:00:00Z',
        mode: 'offline',
        lmid: lm.lmid,
      },
      stranger,
    );
    const { status, body } = await admin(lm, '/v1/admin/load', { key: key.ok && key.value, force: true });
    expect(status).toBe(403);
    expect(body.error.code).toBe('UNKNOWN_KEY');
    expect(body.error.message).toContain(stranger.kid);
  });

  it('refuses an expired key unless forced, and then shows it Expired', async () => {
    const key = licenseFor(world, lm.lmid, {
      startsAt: new Date(T0 - 400 * DAY).toISOString(),
      issuedAt: new Date(T0 - 400 * DAY).toISOString(),
      expiresAt: new Date(T0 - 30 * DAY).toISOString(),
    });
    const refused = await admin(lm, '/v1/admin/load', { key });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'EXPIRED', message: expect.stringContaining('--force') });
    const forced = await admin(lm, '/v1/admin/load', { key, force: true });
    expect(forced.body).toMatchObject({ status: 'Expired', code: 'EXPIRED' });
  });

  it('refuses a license issued for online mode as an offline key, even with force, saying to load its online key', async () => {
    const key = licenseFor(world, lm.lmid, { mode: 'online' });
    for (const force of [false, true]) {
      const { status, body } = await admin(lm, '/v1/admin/load', { key, force });
      expect([status, body.error.code]).toEqual([403, 'MODE_MISMATCH']);
      expect(body.error.message).toBe(
        'License lic_lmtest was issued for online mode: load its online key (5 groups of 5 characters, shown in the License Center), not the license document, so the License Center keeps it current.',
      );
    }
    expect((await call(lm, 'GET', '/v1/info')).body.status).toBe('NotExist');
  });

  it('shows an online license that a release before this one took as an offline key as Invalid (MODE_MISMATCH)', async () => {
    const lmid = lm.lmid;
    expect((await admin(lm, '/v1/admin/load', { key: licenseFor(world, lmid) })).status).toBe(200);
    await lm.close();
    // What such a release left in state.db: the online license as the offline key held.
    const db = new Database(join(world.config.dataPath, 'state.db'));
    db.prepare('UPDATE license SET license_text = ? WHERE id = 1').run(licenseFor(world, lmid, { mode: 'online' }));
    db.close();
    lm = await start(world);
    expect((await call(lm, 'GET', '/v1/info')).body).toMatchObject({ status: 'Invalid', code: 'MODE_MISMATCH' });
    const seat = await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'p1' });
    expect(seat.body.error.code).toBe('MODE_MISMATCH');
  });

  it('never accepts an altered key, even with force', async () => {
    const key = licenseFor(world, lm.lmid);
    const [head, payload, signature] = key.split('.') as [string, string, string];
    const altered = `${head}.${Buffer.from(Buffer.from(payload, 'base64url').toString().replace('"query":2', '"query":9')).toString('base64url')}.${signature}`;
    const { status, body } = await admin(lm, '/v1/admin/load', { key: altered, force: true });
    expect([status, body.error.code]).toEqual([400, 'SIGNATURE_INVALID']);
    expect((await call(lm, 'GET', '/v1/info')).body.status).toBe('NotExist');
  });

  it('answers bad input with a code and a sentence, not a crash', async () => {
    const cases: [unknown, number, string][] = [
      [{ key: 'hello' }, 400, 'MALFORMED'],
      [{ key: licenseFor(world, lm.lmid).slice(0, 200) }, 400, 'MALFORMED'],
      [{ key: lm.lmid }, 400, 'WRONG_KIND'],
      [{}, 400, 'BAD_REQUEST'],
      [{ key: 42 }, 400, 'BAD_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await admin(lm, '/v1/admin/load', body);
      expect([answer.status, answer.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
      expect(answer.body.error.message.length).toBeGreaterThan(10);
      expect(answer.body.error.requestId).toMatch(/^req_/);
    }
  });

  it('says an online key needs a License Center when none is configured', async () => {
    const { status, body } = await admin(lm, '/v1/admin/load', { key: generateOnlineKey() });
    expect(status).toBe(409);
    expect(body.error.code).toBe('NOT_ONLINE');
  });
});

describe('admin token', () => {
  it('is required for load, sync and request codes, and wrong tokens are throttled', async () => {
    for (const path of ['/v1/admin/load', '/v1/admin/sync', '/v1/admin/request-code']) {
      const { status, body } = await call(lm, 'POST', path, { key: 'x' });
      expect([status, body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    }
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await call(lm, 'POST', '/v1/admin/sync', {}, 'wrong-token')).status;
    expect(last).toBe(429);
  });
});
