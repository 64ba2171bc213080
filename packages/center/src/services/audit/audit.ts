/**
 * The append-only, chained audit log. Every event carries the hash of the one before it, and the single
 * audit_head row holds the latest (seq, hash), so a changed, removed or inserted event breaks the chain where
 * verify() can point at it. The hashes are keyed (HMAC under a key derived from the master key; the canonical
 * form and the two schemes are in audit-chain.ts): someone who can write to the database but does not hold the
 * master key cannot recompute a single link. What the database alone cannot show is a chain cut back to an earlier
 * event with its head moved back to match; compare the head with one recorded elsewhere for that.
 *
 * Never put secrets in an event (passwords, keys, tokens, online keys, session ids): the log is read by staff
 * and kept forever. Callers pass ids (usr_…, lic_…, a kid) and what changed.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DialectStatements } from '../../db/dialects/index.js';
import type { AuditEventsTable, Database } from '../../db/schema.js';
import { auditChainKey, canonicalJson, ChainCheck, keyedEventHash, parseData } from './audit-chain.js';
import type { ChainHead } from './audit-chain.js';
import type { Clock } from '@tessera/core';

export { canonicalJson, GENESIS_HASH } from './audit-chain.js';

export interface AuditEvent {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditEventInput {
  /** Who did it: a user id, "system", a job name. */
  actor: string;
  /** What was done, e.g. "license.created", "signing_key.rotated". */
  action: string;
  /** What it was done to: an id. */
  subject: string;
  /** Details; ids and values, never secrets. */
  data?: Record<string, unknown>;
}

export type AuditVerification = { ok: true; events: number } | { ok: false; events: number; brokenAt: number; reason: string };

const PAGE_SIZE = 500;
const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;

function jsonValueOf(data: Record<string, unknown>): Record<string, unknown> {
  const value: unknown = JSON.parse(JSON.stringify(data));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('Audit event data must be a JSON object.');
  return value as Record<string, unknown>;
}

function eventOf(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    // Only a tampered row fails to parse; the audit page still shows what is there, and verify() names it.
    data: parseData(row.data) ?? { $unreadable: row.data },
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export class AuditLog {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectStatements;
  private readonly clock: Clock;
  private readonly key: Buffer;

  /** Every instance (and the CLI) must have the same master key: the chain's hashes are keyed with it. */
  constructor(options: { db: Kysely<Database>; dialect: DialectStatements; clock: Clock; masterKey: Uint8Array }) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.clock = options.clock;
    this.key = auditChainKey(options.masterKey);
  }

  /**
   * Appends an event. Given `trx`, inside the caller's transaction, so the change and its event commit (or roll
   * back) together; append last in that transaction, as the head stays locked until it ends and every other
   * append in every instance waits for it. The seq is chosen here (head + 1), never by the auto-increment key:
   * nothing else may insert into audit_events.
   */
  async append(event: AuditEventInput, trx?: Transaction<Database>): Promise<AuditEvent> {
    const data = jsonValueOf(event.data ?? {});
    const work = async (t: Transaction<Database>): Promise<AuditEvent> => {
      const head = await this.lockHead(t);
      const unhashed = {
        seq: head.seq + 1,
        at: this.clock.now(),
        actor: event.actor,
        action: event.action,
        subject: event.subject,
        data,
        prevHash: head.hash,
      };
      const appended: AuditEvent = { ...unhashed, hash: keyedEventHash(this.key, unhashed) };
      await t
        .insertInto('audit_events')
        .values({
          seq: appended.seq,
          at: appended.at,
          actor: appended.actor,
          action: appended.action,
          subject: appended.subject,
          data: canonicalJson(data),
          prev_hash: appended.prevHash,
          hash: appended.hash,
        })
        .execute();
      await t.updateTable('audit_head').set({ seq: appended.seq, hash: appended.hash }).where('id', '=', 1).execute();
      return appended;
    };
    return trx ? work(trx) : this.db.transaction().execute(work);
  }

  /** Events, newest first: at most `limit` (50 by default, 1000 at most), before `beforeSeq`, about `subject`. */
  async list(options: { limit?: number; beforeSeq?: number; subject?: string } = {}): Promise<AuditEvent[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
    let query = this.db.selectFrom('audit_events').selectAll();
    if (options.beforeSeq !== undefined) query = query.where('seq', '<', options.beforeSeq);
    if (options.subject !== undefined) query = query.where('subject', '=', options.subject);
    const rows = await query.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map(eventOf);
  }

  /**
   * Walks the chain in seq order, a page at a time (audit-chain.ts's ChainCheck: seq continuity from 1, each link,
   * each hash under its scheme, the legacy part's anchor, then the head). `events` counts the events found intact
   * (before the break). Appends made while it runs are not walked, and are not mistaken for damage.
   */
  async verify(): Promise<AuditVerification> {
    // The head first: every event up to its seq committed with it (or before), so the walk stops there.
    const head = await this.readHead(this.db);
    const check = new ChainCheck(this.key, head);
    for (let after = 0; ;) {
      const page = await this.db
        .selectFrom('audit_events')
        .selectAll()
        .where('seq', '>', after)
        .where('seq', '<=', head.seq)
        .orderBy('seq')
        .limit(PAGE_SIZE)
        .execute();
      for (const row of page) {
        const broken = check.next({ ...row, seq: Number(row.seq), at: Number(row.at) });
        if (broken) return { ok: false, ...broken };
      }
      if (page.length < PAGE_SIZE) break;
      after = Number(page[page.length - 1]!.seq);
    }
    const ended = check.end();
    if (ended) return { ok: false, ...ended };
    // Events past the head were not appended through this log. Read the highest seq before re-reading the head, so
    // an append committing in between cannot look like one.
    const highest = await this.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    const headNow = await this.readHead(this.db);
    const highestSeq = Number(highest?.seq ?? 0);
    if (highestSeq > headNow.seq) {
      return {
        ok: false,
        events: check.events,
        brokenAt: headNow.seq + 1,
        reason: `Events up to ${highestSeq} lie beyond the chain's head (event ${headNow.seq}): they were not appended through the audit log.`,
      };
    }
    return { ok: true, events: check.events };
  }

  /** Locks the head row for the rest of the transaction and reads it: appends from every instance take turns. */
  private lockHead(trx: Transaction<Database>): Promise<{ seq: number; hash: string }> {
    return this.dialect.lockAuditHead(trx);
  }

  private async readHead(db: Kysely<Database>): Promise<ChainHead> {
    const head = await db.selectFrom('audit_head').select(['seq', 'hash', 'keyed_from', 'anchor']).where('id', '=', 1).executeTakeFirst();
    if (!head) throw new Error('The audit_head row is missing: the database was not migrated.');
    return { seq: Number(head.seq), hash: head.hash, keyedFrom: Number(head.keyed_from), anchor: head.anchor };
  }
}
