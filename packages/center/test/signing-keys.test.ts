import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  deriveLmid,
  encodeBase64Url,
  fingerprintDigest,
  generateEd25519,
  issueLicense,
  parseTrustBundle,
  rawPublicKey,
  readLicense,
  signingKeySeed,
} from '@tessera/core';
import type { LicenseInput, SigningKey, TrustBundle } from '@tessera/core';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { openSecret, sealSecret } from '../src/services/trust/master-key.js';
import { SigningKeys } from '../src/services/trust/signing-keys.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const START = Date.parse('2026-11-24T12:00:00Z');

function testClock(at = START) {
  return {
    at,
    now() {
      return this.at;
    },
  };
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; code: string; detail: string }): T {
  if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
  return result.value;
}

function trust(bundle: string): TrustBundle {
  return unwrap(parseTrustBundle(bundle));
}

const lmid = deriveLmid(rawPublicKey(generateEd25519().publicKey), fingerprintDigest('host-a'));
const licenseInput: LicenseInput = {
  id: 'lic_keys1',
  serial: 1,
  product: 'graphdb',
  customer: { id: 'cus_keys', name: 'Keys Customer' },
  nodes: { query: 3, storage: 5 },
  limits: {},
  features: [],
  issuedAt: '2026-11-24T00:00:00Z',
  startsAt: '2026-11-24T00:00:00Z',
  expiresAt: '2027-11-24T00:00:00Z',
  mode: 'offline',
  lmid,
};

describe('sealed secrets (master key)', () => {
  const masterKey = randomBytes(32);
  const secret = randomBytes(32);

  it('open with the same master key and label, and every seal uses a fresh IV', () => {
    const sealed = sealSecret(masterKey, secret, 'kA');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(openSecret(masterKey, sealed, 'kA')!)).toEqual(secret);
    expect(sealSecret(masterKey, secret, 'kA')).not.toBe(sealed);
  });

  it('do not open under another label (moved to another row) or another master key', () => {
    const sealed = sealSecret(masterKey, secret, 'kA');
    expect(openSecret(masterKey, sealed, 'kB')).toBeNull();
    expect(openSecret(randomBytes(32), sealed, 'kA')).toBeNull();
    expect(openSecret(masterKey.subarray(0, 16), sealed, 'kA')).toBeNull();
  });

  it('do not open when any part is altered or malformed, and never throw', () => {
    const sealed = sealSecret(masterKey, secret, 'kA');
    const [version, iv, body] = sealed.split('.') as [string, string, string];
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    for (const altered of [
      `${version}.${flip(iv, 3)}.${body}`,
      `${version}.${iv}.${flip(body, 5)}`,
      `${version}.${iv}.${flip(body, body.length - 5)}`,
      `${version}.${iv}.${body.slice(0, -4)}`,
      `v2.${iv}.${body}`,
      `${version}.${iv}`,
      `${version}.${iv}.${body}.x`,
      `${version}.${iv}.***`,
      `${version}..${body}`,
      '',
    ]) {
      expect(openSecret(masterKey, altered, 'kA'), altered).toBeNull();
    }
  });

  it('refuse to seal under a master key of the wrong size', () => {
    expect(() => sealSecret(randomBytes(16), secret, 'kA')).toThrow('The master key must be 32 bytes; got 16.');
  });
});

describe.each(DIALECTS)('signing keys on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  /** A second connection pool on PostgreSQL, as another LC instance has. SQLite: one handle per process (see below). */
  let other: DatabaseHandle;
  const masterKey = randomBytes(32);

  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    await migrateToLatest(handle.db as never, dialect);
    // better-sqlite3 waits for a lock synchronously, so two handles on one file in one process would block each
    // other's event loop; instances on SQLite are separate processes. Here they share the handle.
    other = dialect === 'postgres' ? openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir }) : handle;
  });
  afterAll(async () => {
    if (other !== handle) await other.close();
    await handle.close();
    await target.drop();
  });
  beforeEach(async () => {
    await handle.db.deleteFrom('signing_keys').execute();
  });

  const activeKids = async () =>
    (await handle.db.selectFrom('signing_keys').select('kid').where('state', '=', 'active').execute()).map((r) => r.kid);

  it('the first start creates one active key; later starts keep it', async () => {
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() });
    const first = await keys.ensureActive();
    expect(first).toMatchObject({ state: 'active', createdAt: START, retiredAt: null });
    expect(first.kid).toMatch(/^k[0-9A-Z]{12}$/);
    expect(await keys.ensureActive()).toEqual(first);
    expect(await keys.list()).toEqual([first]);
    const signer = await keys.active();
    expect(signer.kid).toBe(first.kid);
    expect(encodeBase64Url(signer.publicKeyRaw)).toBe(first.publicKey);
  });

  it('instances starting together end with exactly one active key', async () => {
    const a = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() });
    const b = new SigningKeys({ db: other.db, dialect: other.statements, masterKey, clock: testClock() });
    // Open the pools' connections first, so the starts below really overlap rather than queue on connecting.
    await Promise.all([handle, other].flatMap(({ db }) => Array.from({ length: 5 }, () => sql`select 1`.execute(db))));
    const started = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).ensureActive()));
    const kids = await activeKids();
    expect(kids).toHaveLength(1);
    expect(new Set(started.map((k) => k.kid))).toEqual(new Set(kids));
    expect((await a.active()).kid).toBe(kids[0]);
    expect((await b.active()).kid).toBe(kids[0]);
  });

  it('rotation retires the old key, whose licenses still verify; revoking it makes them KEY_REVOKED', async () => {
    const clock = testClock();
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock });
    const old = await keys.ensureActive();
    const oldLicense = unwrap(issueLicense(licenseInput, await keys.active()));

    clock.at += 60_000;
    const rotated = await keys.rotate();
    expect(rotated).toMatchObject({ state: 'active', createdAt: START + 60_000, retiredAt: null });
    expect(rotated.kid).not.toBe(old.kid);
    expect(await keys.list()).toEqual([rotated, { ...old, state: 'retired', retiredAt: START + 60_000 }]);
    expect((await keys.active()).kid).toBe(rotated.kid);
    const newLicense = unwrap(issueLicense({ ...licenseInput, serial: 2 }, await keys.active()));

    const afterRotation = trust(await keys.trustBundle());
    expect([...afterRotation.keys.values()].map((k) => [k.kid, k.state])).toEqual([
      [rotated.kid, 'active'],
      [old.kid, 'retired'],
    ]);
    expect(readLicense(oldLicense, afterRotation)).toMatchObject({ ok: true, value: { kid: old.kid } });
    expect(readLicense(newLicense, afterRotation)).toMatchObject({ ok: true, value: { kid: rotated.kid } });

    clock.at += 60_000;
    expect(await keys.revoke(old.kid)).toEqual({ ...old, state: 'revoked', retiredAt: START + 60_000 });
    const afterRevocation = trust(await keys.trustBundle());
    expect(afterRevocation.keys.get(old.kid)?.state).toBe('revoked');
    const refused = readLicense(oldLicense, afterRevocation);
    expect(refused).toMatchObject({ ok: false, code: 'KEY_REVOKED' });
    expect(!refused.ok && refused.detail).toContain(old.kid);
    expect(readLicense(newLicense, afterRevocation)).toMatchObject({ ok: true });
    expect(await activeKids()).toEqual([rotated.kid]);
  });

  it('revoking the active key makes a new active one at once; an unknown kid is null; revoking twice changes nothing', async () => {
    const clock = testClock();
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock });
    const leaked = await keys.ensureActive();
    expect((await keys.active()).kid).toBe(leaked.kid);
    clock.at += 1000;
    const revoked = await keys.revoke(leaked.kid);
    expect(revoked).toEqual({ ...leaked, state: 'revoked', retiredAt: START + 1000 });
    const [replacement, ...rest] = await keys.list();
    expect(replacement).toMatchObject({ state: 'active', createdAt: START + 1000 });
    expect(rest).toEqual([revoked]);
    expect((await keys.active()).kid).toBe(replacement!.kid);
    expect(await keys.revoke(leaked.kid)).toEqual(revoked);
    expect(await keys.revoke('kNOSUCHKEY000')).toBeNull();
    expect(await keys.list()).toHaveLength(2);
  });

  it('stores the private key only sealed under the master key, bound to its kid', async () => {
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() });
    const info = await keys.ensureActive();
    const seed = Buffer.from(signingKeySeed(await keys.active()));
    const row = await handle.db.selectFrom('signing_keys').selectAll().where('kid', '=', info.kid).executeTakeFirstOrThrow();
    expect(row.private_key_enc).not.toContain(seed.toString('base64url'));
    expect(row.private_key_enc).not.toContain(seed.toString('base64').replace(/=+$/, ''));
    expect(row.private_key_enc.toLowerCase()).not.toContain(seed.toString('hex'));
    expect(Buffer.from(openSecret(masterKey, row.private_key_enc, info.kid)!)).toEqual(seed);
    expect(openSecret(masterKey, row.private_key_enc, 'kANOTHERKEY00')).toBeNull();
  });

  it('says which key the master key cannot open', async () => {
    const info = await new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() }).ensureActive();
    const wrong = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey: randomBytes(32), clock: testClock() });
    await expect(wrong.active()).rejects.toThrow(
      `Signing key ${info.kid} cannot be opened: the master key does not match the one this key was sealed with`,
    );
    expect(() => new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey: randomBytes(31), clock: testClock() })).toThrow(
      '32 bytes; got 31',
    );
  });

  it('refuses a sealed key that was altered or moved to another row', async () => {
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() });
    const first = await keys.ensureActive();
    const row = await handle.db.selectFrom('signing_keys').selectAll().where('kid', '=', first.kid).executeTakeFirstOrThrow();
    const [version, iv, body] = row.private_key_enc.split('.') as [string, string, string];
    const altered = `${version}.${iv}.${body.slice(0, 10)}${body[10] === 'A' ? 'B' : 'A'}${body.slice(11)}`;
    expect(openSecret(masterKey, altered, first.kid)).toBeNull();
    await handle.db.updateTable('signing_keys').set({ private_key_enc: altered }).where('kid', '=', first.kid).execute();
    await expect(new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() }).active()).rejects.toThrow(
      `Signing key ${first.kid}`,
    );

    // The sealed seed of another key, copied into this row, does not open under this kid.
    const second = await keys.rotate();
    const secondRow = await handle.db.selectFrom('signing_keys').selectAll().where('kid', '=', second.kid).executeTakeFirstOrThrow();
    await handle.db.updateTable('signing_keys').set({ private_key_enc: row.private_key_enc }).where('kid', '=', second.kid).execute();
    await expect(new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() }).active()).rejects.toThrow(
      `Signing key ${second.kid}`,
    );
    expect(openSecret(masterKey, secondRow.private_key_enc, second.kid)).not.toBeNull();
  });

  it("an instance's cached key follows another instance's rotation after the re-check interval", async () => {
    const clock = testClock();
    const a = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock });
    const b = new SigningKeys({ db: other.db, dialect: other.statements, masterKey, clock });
    await a.ensureActive();
    const cached: SigningKey = await b.active();
    expect(await b.active()).toBe(cached);

    clock.at += 1000;
    const rotated = await a.rotate();
    expect((await a.active()).kid).toBe(rotated.kid);
    clock.at += 28_999; // 29.999 s after B read the active key
    expect(await b.active()).toBe(cached);
    clock.at += 1;
    expect((await b.active()).kid).toBe(rotated.kid);

    // A re-check that finds the same kid keeps the decrypted key and restarts the interval.
    const current = await b.active();
    clock.at += 30_000;
    expect(await b.active()).toBe(current);
    // A clock that went backwards re-checks too.
    await a.rotate();
    clock.at -= 5000;
    expect((await b.active()).kid).not.toBe(rotated.kid);
  });

  it('concurrent first calls of active() on an empty database make one key and all get it', async () => {
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() });
    const signers = await Promise.all([keys.active(), keys.active(), keys.active()]);
    expect(new Set(signers)).toEqual(new Set([signers[0]]));
    expect(await activeKids()).toEqual([signers[0]!.kid]);
  });

  it('makes the first key when asked for the trust bundle of an empty key set', async () => {
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock: testClock() });
    const bundle = trust(await keys.trustBundle());
    expect([...bundle.keys.keys()]).toEqual(await activeKids());
  });
});
