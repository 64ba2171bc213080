/**
 * Nothing goes back (DESIGN decision 9): the highest serial per license, the clock high-water mark and the trust
 * bundle serial live in identity.seal next to identity.key, so deleting state.db resets none of them; an edited,
 * damaged or deleted seal stops the start with a sentence; and a data path written before the seal existed is
 * carried over on its first start, keeping its LMID.
 */
import { readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveLmid, encodeBase64Url, fingerprintDigest, generateEd25519, rawPublicKey, rawSeed } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { admin, call, DAY, licenseFor, makeWorld, start, T0 } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon | null = null;
afterEach(async () => {
  await lm?.close();
  lm = null;
  world.cleanup();
});

const HOUR = 3_600_000;
const seal = () => join(world.config.dataPath, 'identity.seal');
const deleteStateDb = () => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(world.config.dataPath, `state.db${suffix}`), { force: true });
};
async function restart(): Promise<Daemon> {
  await lm?.close();
  lm = await start(world);
  return lm;
}
const load = (key: string, force = false) => admin(lm!, '/v1/admin/load', { key, force });
const info = async () => (await call(lm!, 'GET', '/v1/info')).body;

describe('the sealed state', () => {
  it('survives the deletion of state.db: an older serial and a clock set back are still refused', async () => {
    world = makeWorld();
    lm = await start(world);
    const serial = (n: number) => licenseFor(world, lm!.lmid, { serial: n });
    expect((await load(serial(3))).status).toBe(200);
    world.clock.set(T0 + 3 * HOUR);
    expect((await info()).status).toBe('Normal');
    await lm.close();
    lm = null;
    deleteStateDb();

    world.clock.set(T0); // set back three hours, with state.db gone
    await restart();
    const atOldTime = await load(serial(3));
    expect([atOldTime.status, atOldTime.body.error.code]).toEqual([403, 'CLOCK_TAMPERED']);
    world.clock.set(T0 + 3 * HOUR);
    for (const force of [false, true]) {
      const older = await load(serial(2), force);
      expect([older.status, older.body.error.code], `force ${force}`).toEqual([403, 'SUPERSEDED']);
      expect(older.body.error.message).toMatch(/serial 3 is already loaded/);
    }
    expect((await load(serial(3))).body).toMatchObject({ status: 'Normal', serial: 3 });
    world.clock.set(T0);
    expect(await info()).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
  });

  it('refuses to start when edited (SIGNATURE_INVALID), damaged (MALFORMED), copied from another LM or deleted, saying what to do', async () => {
    world = makeWorld();
    lm = await start(world);
    await load(licenseFor(world, lm.lmid));
    world.clock.set(T0 + 3 * HOUR);
    await info();
    await lm.close();
    lm = null;
    const original = readFileSync(seal(), 'utf8');
    expect(JSON.parse(original)).toMatchObject({
      format: 'tessera-lm-seal',
      v: 1,
      highWater: new Date(T0 + 3 * HOUR).toISOString(),
      serials: { lic_lmtest: 1 },
      bundleSerial: 1,
      bundle: expect.stringMatching(/^tessera-trust:/),
      mac: expect.any(String),
    });

    const edited = original.replace(new Date(T0 + 3 * HOUR).toISOString(), new Date(T0).toISOString());
    writeFileSync(seal(), edited);
    await expect(start(world)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
      message: expect.stringMatching(/identity.seal .* cannot be used: its seal does not match .* Restore it from the backup/),
    });

    writeFileSync(seal(), original.slice(0, 40));
    await expect(start(world)).rejects.toMatchObject({ code: 'MALFORMED', message: expect.stringMatching(/not valid JSON/) });

    const other = makeWorld();
    const otherLm = await start(other);
    await otherLm.close();
    writeFileSync(seal(), readFileSync(join(other.config.dataPath, 'identity.seal')));
    other.cleanup();
    await expect(start(world)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });

    rmSync(seal());
    deleteStateDb();
    await expect(start(world)).rejects.toMatchObject({
      code: 'MALFORMED',
      message: expect.stringMatching(/holds identity.key but not identity.seal: it was deleted.*new LMID/),
    });

    // The original seal back: all is as it was.
    writeFileSync(seal(), original);
    world.clock.set(T0 + 3 * HOUR);
    await restart();
    world.clock.set(T0);
    expect((await load(licenseFor(world, lm!.lmid))).body.error.code).toBe('CLOCK_TAMPERED');
  });

  it('is not lowered by editing state.db: an older license put back is Invalid, a clock row put back is ignored', async () => {
    world = makeWorld();
    lm = await start(world);
    const lmid = lm.lmid;
    await load(licenseFor(world, lmid, { serial: 2 }));
    await load(licenseFor(world, lmid, { serial: 3 }));
    world.clock.set(T0 + 3 * HOUR);
    await info();
    await lm.close();
    lm = null;
    const db = new Database(join(world.config.dataPath, 'state.db'));
    db.prepare('UPDATE license SET license_text = ?, serial = 2 WHERE id = 1').run(licenseFor(world, lmid, { serial: 2 }));
    // What a data path before the seal had: a clock row, here with the time the customer would like.
    db.prepare('INSERT INTO clock (id, high_water) VALUES (1, ?)').run(T0);
    db.close();
    world.clock.set(T0 + 3 * HOUR);
    await restart();
    expect(await info()).toMatchObject({ status: 'Invalid', code: 'SUPERSEDED', serial: 2 });
    world.clock.set(T0);
    expect((await load(licenseFor(world, lmid, { serial: 3 }))).body.error.code).toBe('CLOCK_TAMPERED');
  });

  it('starts afresh, with a new LMID, only when the identity key goes too', async () => {
    world = makeWorld();
    lm = await start(world);
    const lmid = lm.lmid;
    await lm.close();
    lm = null;
    for (const file of ['identity.key', 'identity.seal']) rmSync(join(world.config.dataPath, file));
    deleteStateDb();
    await restart();
    expect(lm!.lmid).not.toBe(lmid);
  });
});

describe('a data path written before the seal existed', () => {
  /** identity.key and state.db exactly as the release before wrote them (packages/manager/src/state/db.ts then). */
  function writeOldDataPath(licenseOf: (lmid: string) => string, highWater: number): { lmid: string; license: string } {
    const { privateKey } = generateEd25519();
    const lmid = deriveLmid(rawPublicKey(privateKey), fingerprintDigest('test-host-1'));
    const license = licenseOf(lmid);
    const dataPath = world.config.dataPath;
    mkdirSync(dataPath, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataPath, 'identity.key'), encodeBase64Url(rawSeed(privateKey)) + '\n', { mode: 0o600 });
    writeFileSync(join(dataPath, 'admin.token'), 'old-admin-token\n', { mode: 0o600 });
    const db = new Database(join(dataPath, 'state.db'));
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE license (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       source TEXT NOT NULL CHECK (source IN ('offline', 'online')),
       license_text TEXT, online_key TEXT, license_id TEXT, serial INTEGER, loaded_at INTEGER NOT NULL,
       last_sync_at INTEGER, last_sync_ok INTEGER, last_sync_error TEXT
     );
     CREATE TABLE leases (
       id TEXT PRIMARY KEY, product TEXT NOT NULL, role TEXT NOT NULL, node_id TEXT NOT NULL, host TEXT,
       since INTEGER NOT NULL, expires_at INTEGER NOT NULL, UNIQUE (product, role, node_id)
     );
     CREATE TABLE clock (id INTEGER PRIMARY KEY CHECK (id = 1), high_water INTEGER NOT NULL);
     CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, kind TEXT NOT NULL, code TEXT, detail TEXT NOT NULL);
     CREATE TABLE notifications (kind TEXT PRIMARY KEY, last_sent_at INTEGER NOT NULL);
     ALTER TABLE leases ADD COLUMN instance TEXT;
     PRAGMA user_version = 2;`);
    db.prepare(
      `INSERT INTO license (id, source, license_text, online_key, license_id, serial, loaded_at, last_sync_at, last_sync_ok, last_sync_error)
       VALUES (1, 'offline', ?, NULL, 'lic_lmtest', 5, ?, NULL, NULL, NULL)`,
    ).run(license, T0);
    db.prepare('INSERT INTO clock (id, high_water) VALUES (1, ?)').run(highWater);
    db.close();
    return { lmid, license };
  }

  it('keeps its LMID and carries its clock mark and license serial into the seal on the first start', async () => {
    world = makeWorld();
    const markTime = T0 + 2 * DAY;
    // The license names the old LM's LMID, which the upgrade must keep for it to stay valid.
    const old = writeOldDataPath((lmid) => licenseFor(world, lmid, { serial: 5 }), markTime);
    const license = old.license;

    world.clock.set(markTime);
    await restart();
    expect(lm!.lmid).toBe(old.lmid);
    expect(await info()).toMatchObject({ status: 'Normal', serial: 5, licenseId: 'lic_lmtest' });
    expect(lm!.services.adminToken).toBe('old-admin-token');
    expect(JSON.parse(readFileSync(seal(), 'utf8'))).toMatchObject({
      highWater: new Date(markTime).toISOString(),
      serials: { lic_lmtest: 5 },
      bundleSerial: 1,
    });
    // The clock row moved: state.db no longer holds it.
    const after = new Database(join(world.config.dataPath, 'state.db'), { readonly: true });
    expect(after.prepare('SELECT COUNT(*) AS n FROM clock').get()).toEqual({ n: 0 });
    after.close();

    // What the old state.db said now holds even without it.
    await lm!.close();
    lm = null;
    deleteStateDb();
    await restart();
    expect(lm!.lmid).toBe(old.lmid);
    const older = await load(licenseFor(world, old.lmid, { serial: 4 }), true);
    expect(older.body.error.code).toBe('SUPERSEDED');
    world.clock.set(T0);
    expect((await load(license)).body.error.code).toBe('CLOCK_TAMPERED');
    expect(existsSync(seal())).toBe(true);
  });
});
