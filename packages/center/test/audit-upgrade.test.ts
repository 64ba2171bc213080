/**
 * Keying the audit chain of a database the previous version wrote (migration 0006), on each dialect: the old
 * events are kept and keep verifying, new ones are keyed, and verify names the first broken link in either part,
 * including the alterations anyone could make to the unkeyed part (recomputed hashes, a moved boundary).
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest, migrator } from '../src/db/migrations.js';
import { AuditLog, canonicalJson, GENESIS_HASH } from '../src/services/audit/audit.js';
import { auditChainKey, keyedEventHash, legacyEventHash } from '../src/services/audit/audit-chain.js';
import type { UnhashedEvent } from '../src/services/audit/audit-chain.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const START = Date.parse('2026-06-01T08:00:00Z');

describe.each(DIALECTS)('keying the audit chain of an upgraded database on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  const masterKey = randomBytes(32);
  const clock = { now: () => START + 3_600_000 };

  beforeEach(async () => {
    target = await createTestDatabase(dialect);
    handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
  });
  afterEach(async () => {
    await handle.close();
    await target.drop();
  });

  /** The schema and events of the version before the keyed chain: SHA-256 of the canonical form, from 64 zeros. */
  const previousVersionWith = async (count: number): Promise<string[]> => {
    const { error } = await migrator(handle.db as never, dialect).migrateTo('0005_packages');
    if (error) throw error;
    const hashes: string[] = [];
    let prevHash = GENESIS_HASH;
    for (let seq = 1; seq <= count; seq++) {
      const row = {
        seq,
        at: START + seq * 1000,
        actor: 'usr_admin',
        action: 'license.changed',
        subject: `lic_${seq}`,
        data: { serial: seq },
      };
      const canonical = canonicalJson([row.seq, row.at, row.actor, row.action, row.subject, row.data, prevHash]);
      const hash = createHash('sha256').update(canonical, 'utf8').digest('hex');
      await handle.db
        .insertInto('audit_events')
        .values({ ...row, data: canonicalJson(row.data), prev_hash: prevHash, hash })
        .execute();
      hashes.push(hash);
      prevHash = hash;
    }
    await handle.db.updateTable('audit_head').set({ seq: count, hash: prevHash }).where('id', '=', 1).execute();
    return hashes;
  };
  const rows = () => handle.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
  const unhashed = (row: Awaited<ReturnType<typeof rows>>[number]): UnhashedEvent => ({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    data: JSON.parse(row.data),
    prevHash: row.prev_hash,
  });
  /** Rewrites events from `from` on as a database writer without the key can: new contents, every hash recomputed unkeyed. */
  const recomputeUnkeyed = async (from: number, change: (row: UnhashedEvent) => UnhashedEvent) => {
    const all = await rows();
    let prevHash = from === 1 ? GENESIS_HASH : all[from - 2]!.hash;
    for (const row of all.filter((r) => r.seq >= from)) {
      const event = { ...(row.seq === from ? change(unhashed(row)) : unhashed(row)), prevHash };
      const hash = legacyEventHash(event);
      await handle.db
        .updateTable('audit_events')
        .set({
          at: event.at,
          actor: event.actor,
          action: event.action,
          subject: event.subject,
          data: canonicalJson(event.data),
          prev_hash: prevHash,
          hash,
        })
        .where('seq', '=', row.seq)
        .execute();
      prevHash = hash;
    }
    await handle.db.updateTable('audit_head').set({ hash: prevHash }).execute();
  };

  it("keeps verifying the previous version's events, keys every event after them, and names the first broken link in either part", async () => {
    const legacy = await previousVersionWith(5);
    expect(await migrateToLatest(handle.db as never, dialect, { masterKey })).toEqual([
      '0006_audit_keyed',
      '0007_trust_roots',
      '0008_outage_grace',
      '0009_lm_product',
      '0010_brand_settings',
    ]);
    const log = new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey });
    expect(await log.verify()).toEqual({ ok: true, events: 5 });

    const appended = [];
    for (const subject of ['lic_a', 'lic_b', 'lic_c']) appended.push(await log.append({ actor: 'usr_admin', action: 'x', subject }));
    expect(appended[0]).toMatchObject({ seq: 6, prevHash: legacy[4] });
    const key = auditChainKey(masterKey);
    for (const event of appended) {
      expect(event.hash).toBe(keyedEventHash(key, event));
      expect(event.hash).not.toBe(legacyEventHash(event));
    }
    expect(await log.verify()).toEqual({ ok: true, events: 8 });
    const original = await rows();
    const restore = async () => {
      for (const row of original) await handle.db.updateTable('audit_events').set(row).where('seq', '=', row.seq).execute();
      await handle.db.updateTable('audit_head').set({ seq: 8, hash: original[7]!.hash, keyed_from: 6 }).execute();
      expect(await log.verify()).toEqual({ ok: true, events: 8 });
    };

    // An old event changed: named, as before the upgrade.
    await handle.db.updateTable('audit_events').set({ data: '{"serial":99}' }).where('seq', '=', 2).execute();
    expect(await log.verify()).toEqual({
      ok: false,
      events: 1,
      brokenAt: 2,
      reason: 'Event 2 was altered: its contents no longer match its hash.',
    });
    await restore();

    // A new event changed: named.
    await handle.db.updateTable('audit_events').set({ actor: 'usr_other' }).where('seq', '=', 7).execute();
    expect(await log.verify()).toMatchObject({ ok: false, events: 6, brokenAt: 7 });
    await restore();

    // An old event changed and every hash after it recomputed, which needs no key: the anchor no longer matches.
    await recomputeUnkeyed(2, (event) => ({ ...event, data: { serial: 99 } }));
    expect(await log.verify()).toEqual({
      ok: false,
      events: 0,
      brokenAt: 5,
      reason: expect.stringMatching(/^Events 1 to 5, written before the chain was keyed, no longer match the keyed anchor/),
    });
    await restore();

    // The keyed boundary moved past the new events, recomputed unkeyed so they pass as old ones: the anchor breaks.
    await handle.db.updateTable('audit_head').set({ keyed_from: 9 }).execute();
    await recomputeUnkeyed(6, (event) => ({ ...event, actor: 'usr_other' }));
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 8, reason: expect.stringMatching(/keyed anchor/) });
    await restore();

    // Moved back over old events, they are checked as keyed and fail at the first of them.
    await handle.db.updateTable('audit_head').set({ keyed_from: 3 }).execute();
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/keyed anchor/) });
    await restore();
  });

  it('stops, changing nothing, when a chain with events would be keyed without the master key; with it, the upgrade completes', async () => {
    await previousVersionWith(2);
    await expect(migrateToLatest(handle.db as never, dialect)).rejects.toThrow(
      /Migration 0006_audit_keyed failed: the audit log holds 2 events to anchor with the master key; run tessera-center migrate or serve/,
    );
    const columns = await handle.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
    expect(Object.keys(columns).sort()).toEqual(['hash', 'id', 'seq']);
    expect(await migrateToLatest(handle.db as never, dialect, { masterKey })).toEqual([
      '0006_audit_keyed',
      '0007_trust_roots',
      '0008_outage_grace',
      '0009_lm_product',
      '0010_brand_settings',
    ]);
    expect(await new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey }).verify()).toEqual({ ok: true, events: 2 });
  });

  it('keys a new database from its first event; a writer cannot pass its events off as unkeyed ones', async () => {
    expect(await migrateToLatest(handle.db as never, dialect)).toContain('0006_audit_keyed');
    expect(await handle.db.selectFrom('audit_head').select(['keyed_from', 'anchor']).executeTakeFirst()).toEqual({
      keyed_from: 1,
      anchor: null,
    });
    const log = new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey });
    for (const subject of ['lic_a', 'lic_b', 'lic_c']) await log.append({ actor: 'usr_admin', action: 'x', subject });
    expect(await log.verify()).toEqual({ ok: true, events: 3 });
    // Declared never keyed (the boundary past the head), every hash recomputed unkeyed, an anchor made up.
    await handle.db
      .updateTable('audit_head')
      .set({ keyed_from: 4, anchor: 'f'.repeat(64) })
      .execute();
    await recomputeUnkeyed(1, (event) => ({ ...event, actor: 'usr_other' }));
    expect(await log.verify()).toMatchObject({ ok: false, events: 0, brokenAt: 3, reason: expect.stringMatching(/keyed anchor/) });
  });
});
