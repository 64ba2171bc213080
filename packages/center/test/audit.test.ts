import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { AuditLog, GENESIS_HASH } from '../src/services/audit/audit.js';
import { auditChainKey, keyedEventHash, legacyEventHash } from '../src/services/audit/audit-chain.js';
import type { UnhashedEvent } from '../src/services/audit/audit-chain.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const START = Date.parse('2026-11-24T12:00:00Z');
const MASTER_KEY = randomBytes(32);

function testClock(at = START) {
  return {
    at,
    now() {
      return this.at;
    },
  };
}

describe.each(DIALECTS)('audit log on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  /** A second connection pool on PostgreSQL, as another LC instance has; on SQLite instances share the handle. */
  let other: DatabaseHandle;
  let clock: ReturnType<typeof testClock>;
  let log: AuditLog;

  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    await migrateToLatest(handle.db as never, dialect);
    // better-sqlite3 waits for a lock synchronously, so two handles on one file in one process would block each
    // other's event loop; LC instances on SQLite are separate processes.
    other = dialect === 'postgres' ? openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir }) : handle;
  });
  afterAll(async () => {
    if (other !== handle) await other.close();
    await handle.close();
    await target.drop();
  });
  beforeEach(async () => {
    await handle.db.deleteFrom('audit_events').execute();
    await handle.db.updateTable('audit_head').set({ seq: 0, hash: GENESIS_HASH }).execute();
    clock = testClock();
    log = new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey: MASTER_KEY });
  });

  const appendMany = async (count: number, target = log) => {
    for (let i = 1; i <= count; i++) {
      clock.at += 1000;
      await target.append({ actor: 'usr_admin', action: 'license.changed', subject: `lic_${i}`, data: { serial: i } });
    }
  };

  it('chains appended events and verifies them', async () => {
    const first = await log.append({ actor: 'usr_admin', action: 'license.created', subject: 'lic_1', data: { serial: 1 } });
    clock.at += 1000;
    const second = await log.append({ actor: 'system', action: 'license.renewed', subject: 'lic_1' });
    clock.at += 1000;
    const third = await log.append({ actor: 'usr_sales', action: 'customer.created', subject: 'cus_1', data: { name: 'Acme' } });
    expect(first).toMatchObject({ seq: 1, at: START, prevHash: GENESIS_HASH, data: { serial: 1 } });
    expect(second).toMatchObject({ seq: 2, at: START + 1000, prevHash: first.hash, data: {} });
    expect(third).toMatchObject({ seq: 3, prevHash: second.hash });
    expect(await log.verify()).toEqual({ ok: true, events: 3 });
    expect(await log.list()).toEqual([third, second, first]);
    expect(await log.list({ limit: 1 })).toEqual([third]);
    expect(await log.list({ beforeSeq: 3 })).toEqual([second, first]);
    expect(await log.list({ subject: 'lic_1', limit: 1 })).toEqual([second]);
    expect(await handle.db.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirst()).toEqual({ seq: 3, hash: third.hash });
  });

  it('keys the documented canonical form: HMAC-SHA256 under HKDF(master key), a JSON array, keys sorted at every depth', async () => {
    const event = await log.append({
      actor: 'usr_1',
      action: 'license.expanded',
      subject: 'lic_1',
      data: { nodes: { storage: 5, query: 3 }, gone: undefined, at: new Date(START), list: [{ z: 1, a: [true, null] }], b: 'é"\n' },
    });
    const canonical =
      `[1,${START},"usr_1","license.expanded","lic_1",` +
      `{"at":"2026-11-24T12:00:00.000Z","b":"é\\"\\n","list":[{"a":[true,null],"z":1}],"nodes":{"query":3,"storage":5}},` +
      `"${'0'.repeat(64)}"]`;
    const key = hkdfSync('sha256', MASTER_KEY, new Uint8Array(0), 'tessera/audit-chain/v1', 32);
    expect(event.hash).toBe(createHmac('sha256', Buffer.from(key)).update(canonical, 'utf8').digest('hex'));
    expect(event.data).toEqual({
      nodes: { storage: 5, query: 3 },
      at: '2026-11-24T12:00:00.000Z',
      list: [{ z: 1, a: [true, null] }],
      b: 'é"\n',
    });
    expect(await log.list()).toEqual([event]);
    expect(await log.verify()).toEqual({ ok: true, events: 1 });
  });

  it('verifies an empty log', async () => {
    expect(await log.verify()).toEqual({ ok: true, events: 0 });
  });

  it('numbers concurrent appends from two instances contiguously, and the chain stays valid', async () => {
    const a = new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey: MASTER_KEY });
    const b = new AuditLog({ db: other.db, dialect: other.statements, clock, masterKey: MASTER_KEY });
    const appended = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).append({ actor: 'usr_admin', action: 'test.concurrent', subject: `n_${i}` })),
    );
    expect(appended.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await log.verify()).toEqual({ ok: true, events: 50 });
    const rows = await handle.db.selectFrom('audit_events').select('seq').orderBy('seq').execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("appends inside the caller's transaction: a rollback leaves no event, a commit keeps both", async () => {
    await appendMany(2);
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await trx.insertInto('customers').values({ id: 'cus_rolled', name: 'Rolled back', created_at: START }).execute();
        await log.append({ actor: 'usr_admin', action: 'customer.created', subject: 'cus_rolled' }, trx);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await log.list({ subject: 'cus_rolled' })).toEqual([]);
    expect(await log.verify()).toEqual({ ok: true, events: 2 });

    const committed = await handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('customers').values({ id: 'cus_kept', name: 'Kept', created_at: START }).execute();
      return log.append({ actor: 'usr_admin', action: 'customer.created', subject: 'cus_kept' }, trx);
    });
    expect(committed.seq).toBe(3);
    expect(await handle.db.selectFrom('customers').select('id').where('id', '=', 'cus_kept').execute()).toHaveLength(1);
    expect(await log.verify()).toEqual({ ok: true, events: 3 });
  });

  it("names the event whose data was changed, and lists what's there", async () => {
    await appendMany(4);
    await handle.db.updateTable('audit_events').set({ data: '{"serial":99}' }).where('seq', '=', 2).execute();
    expect(await log.verify()).toEqual({
      ok: false,
      events: 1,
      brokenAt: 2,
      reason: 'Event 2 was altered: its contents no longer match its hash.',
    });
    await handle.db.updateTable('audit_events').set({ data: 'not json' }).where('seq', '=', 2).execute();
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: 'Event 2 was altered: its data is not a JSON object.' });
    expect((await log.list({ beforeSeq: 3, limit: 1 }))[0]?.data).toEqual({ $unreadable: 'not json' });
  });

  it('names the event after a deleted one', async () => {
    await appendMany(4);
    await handle.db.deleteFrom('audit_events').where('seq', '=', 2).execute();
    expect(await log.verify()).toEqual({ ok: false, events: 1, brokenAt: 3, reason: 'Event 3 follows event 1: event 2 is missing.' });
    await handle.db.deleteFrom('audit_events').where('seq', '=', 1).execute();
    expect(await log.verify()).toMatchObject({
      ok: false,
      events: 0,
      brokenAt: 3,
      reason: 'Event 3 follows the start of the chain: events 1 to 2 are missing.',
    });
  });

  it('names an event a database writer rewrote with a recomputed hash: without the master key it cannot match', async () => {
    await appendMany(3);
    for (const seq of [2, 3]) {
      const event = (await log.list({ beforeSeq: seq + 1, limit: 1 }))[0]!;
      const forged: UnhashedEvent = { ...event, data: { serial: 1000 } };
      // What a writer without the key could do: the unkeyed hash, written to the event and (for the last) the head.
      await handle.db
        .updateTable('audit_events')
        .set({ data: JSON.stringify(forged.data), hash: legacyEventHash(forged) })
        .where('seq', '=', seq)
        .execute();
      if (seq === 3)
        await handle.db
          .updateTable('audit_head')
          .set({ hash: legacyEventHash(forged) })
          .execute();
      expect(await log.verify()).toEqual({
        ok: false,
        events: seq - 1,
        brokenAt: seq,
        reason: `Event ${seq} was altered: its contents no longer match its hash.`,
      });
      await handle.db
        .updateTable('audit_events')
        .set({ data: JSON.stringify(event.data), hash: event.hash })
        .where('seq', '=', seq)
        .execute();
      await handle.db
        .updateTable('audit_head')
        .set({ hash: (await log.list({ limit: 1 }))[0]!.hash })
        .execute();
    }
    expect(await log.verify()).toEqual({ ok: true, events: 3 });
    // Another master key cannot verify the chain either, and says so at the first keyed event.
    expect(await new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey: randomBytes(32) }).verify()).toMatchObject({
      ok: false,
      brokenAt: 1,
      reason: expect.stringContaining('or the master key is not the one it was written with'),
    });
  });

  it('even with the key, detects the last event rewritten with a matching hash when the head was left alone', async () => {
    await appendMany(3);
    const last = (await log.list({ limit: 1 }))[0]!;
    const forged = { ...last, data: { serial: 1000 } };
    await handle.db
      .updateTable('audit_events')
      .set({ data: JSON.stringify(forged.data), hash: keyedEventHash(auditChainKey(MASTER_KEY), forged) })
      .where('seq', '=', 3)
      .execute();
    expect(await log.verify()).toEqual({
      ok: false,
      events: 3,
      brokenAt: 3,
      reason: "Event 3 does not match the chain's head: it was altered or replaced after it was appended.",
    });
  });

  it('even with the key, detects a middle event rewritten with a matching hash at the link after it', async () => {
    await appendMany(3);
    const second = (await log.list({ beforeSeq: 3, limit: 1 }))[0]!;
    const forged = { ...second, actor: 'usr_someone_else' };
    await handle.db
      .updateTable('audit_events')
      .set({ actor: forged.actor, hash: keyedEventHash(auditChainKey(MASTER_KEY), forged) })
      .where('seq', '=', 2)
      .execute();
    expect(await log.verify()).toEqual({
      ok: false,
      events: 2,
      brokenAt: 3,
      reason: 'Event 3 does not link to event 2: one of them was altered.',
    });
  });

  it('detects events removed from the end, and events inserted past the head', async () => {
    await appendMany(3);
    await handle.db.deleteFrom('audit_events').where('seq', '=', 3).execute();
    expect(await log.verify()).toEqual({
      ok: false,
      events: 2,
      brokenAt: 3,
      reason: 'The head says the chain has 3 events, but it ends at event 2: the events after it are missing.',
    });

    await handle.db
      .updateTable('audit_head')
      .set({ seq: 2, hash: (await log.list({ limit: 1 }))[0]!.hash })
      .execute();
    expect(await log.verify()).toEqual({ ok: true, events: 2 });
    const head = (await log.list({ limit: 1 }))[0]!;
    const sneaked = { seq: 3, at: START, actor: 'x', action: 'y', subject: 'z', data: {}, prevHash: head.hash };
    await handle.db
      .insertInto('audit_events')
      .values({
        seq: 3,
        at: START,
        actor: 'x',
        action: 'y',
        subject: 'z',
        data: '{}',
        prev_hash: head.hash,
        hash: keyedEventHash(auditChainKey(MASTER_KEY), sneaked),
      })
      .execute();
    expect(await log.verify()).toMatchObject({ ok: false, events: 2, brokenAt: 3, reason: expect.stringContaining('beyond the chain') });
  });

  it('walks a chain longer than one page', async () => {
    await appendMany(505);
    expect(await log.verify()).toEqual({ ok: true, events: 505 });
    await handle.db.updateTable('audit_events').set({ subject: 'lic_forged' }).where('seq', '=', 503).execute();
    expect(await log.verify()).toMatchObject({ ok: false, events: 502, brokenAt: 503 });
  }, 60_000);
});
