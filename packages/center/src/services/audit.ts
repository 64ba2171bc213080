/**
 * The append-only, hash-chained audit log. Every event carries the hash of the one before it, and the single
 * audit_head row holds the latest (seq, hash), so a changed, removed or inserted event breaks the chain where
 * verify() can point at it. (Rewriting the last event, its hash and the head together cannot be told apart from
 * the real thing; anchoring the head elsewhere would be needed for that.)
 *
 * Never put secrets in an event (passwords, keys, tokens, online keys, session ids): the log is read by staff
 * and kept forever. Callers pass ids (usr_…, lic_…, a kid) and what changed.
 *
 * Canonical form, fixed forever for the hashes already written:
 *   hash = lower-case hex SHA-256 of the UTF-8 bytes of canonicalJson([seq, at, actor, action, subject, data, prevHash])
 * where canonicalJson is JSON with no whitespace in which every object's keys, at every depth, are sorted by
 * UTF-16 code units (JavaScript's default sort); arrays keep their order; numbers, strings, true, false and null
 * are written as JSON.stringify writes them. `data` is first reduced to its JSON value (as JSON.parse of
 * JSON.stringify: dates become strings, undefined members go); that value is what is stored (as its canonical
 * JSON) and returned. The first event's prevHash is 64 zeros, the head's initial hash.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Dialect } from '../db/connect.js';
import type { AuditEventsTable, Database } from '../db/schema.js';

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

export const GENESIS_HASH = '0'.repeat(64);
const PAGE_SIZE = 500;
const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;

/** JSON with object keys sorted at every depth; for values that are already plain JSON. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash of an event, per the canonical form above. */
export function auditEventHash(event: Omit<AuditEvent, 'hash'>): string {
  const canonical = canonicalJson([event.seq, event.at, event.actor, event.action, event.subject, event.data, event.prevHash]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

function jsonValueOf(data: Record<string, unknown>): Record<string, unknown> {
  const value: unknown = JSON.parse(JSON.stringify(data));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('Audit event data must be a JSON object.');
  return value as Record<string, unknown>;
}

function parseData(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
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
  private readonly dialect: Dialect;
  private readonly clock: { now(): number };

  constructor(options: { db: Kysely<Database>; dialect: Dialect; clock: { now(): number } }) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.clock = options.clock;
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
      const appended: AuditEvent = { ...unhashed, hash: auditEventHash(unhashed) };
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
   * Walks the chain in seq order, a page at a time: seq continuity from 1, each prevHash against the hash before
   * it, each hash recomputed, then the head. `events` counts the events found intact (before the break).
   * Appends made while it runs are not walked, and are not mistaken for damage.
   */
  async verify(): Promise<AuditVerification> {
    // The head first: every event up to its seq committed with it (or before), so the walk stops there.
    const head = await this.readHead(this.db);
    let count = 0;
    let prevHash = GENESIS_HASH;
    for (;;) {
      const page = await this.db
        .selectFrom('audit_events')
        .selectAll()
        .where('seq', '>', count)
        .where('seq', '<=', head.seq)
        .orderBy('seq')
        .limit(PAGE_SIZE)
        .execute();
      for (const row of page) {
        const expected = count + 1;
        const broken = (reason: string): AuditVerification => ({ ok: false, events: count, brokenAt: row.seq, reason });
        if (row.seq !== expected) {
          const missing = row.seq - 1 === expected ? `event ${expected} is` : `events ${expected} to ${row.seq - 1} are`;
          return broken(`Event ${row.seq} follows ${count === 0 ? 'the start of the chain' : `event ${count}`}: ${missing} missing.`);
        }
        if (row.prev_hash !== prevHash) {
          return broken(
            `Event ${row.seq} does not link to ${count === 0 ? 'the start of the chain' : `event ${count}`}: one of them was altered.`,
          );
        }
        const data = parseData(row.data);
        if (!data) return broken(`Event ${row.seq} was altered: its data is not a JSON object.`);
        if (auditEventHash({ ...eventOf(row), data }) !== row.hash) {
          return broken(`Event ${row.seq} was altered: its contents no longer match its hash.`);
        }
        count = row.seq;
        prevHash = row.hash;
      }
      if (page.length < PAGE_SIZE) break;
    }
    const broken = (brokenAt: number, reason: string): AuditVerification => ({ ok: false, events: count, brokenAt, reason });
    if (count < head.seq) {
      return broken(
        count + 1,
        `The head says the chain has ${head.seq} events, but it ends at event ${count}: the events after it are missing.`,
      );
    }
    if (prevHash !== head.hash) {
      return broken(head.seq, `Event ${head.seq} does not match the chain's head: it was altered or replaced after it was appended.`);
    }
    // Events past the head were not appended through this log. Read the highest seq before re-reading the head, so
    // an append committing in between cannot look like one.
    const highest = await this.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    const headNow = await this.readHead(this.db);
    const highestSeq = Number(highest?.seq ?? 0);
    if (highestSeq > headNow.seq) {
      return broken(
        headNow.seq + 1,
        `Events up to ${highestSeq} lie beyond the chain's head (event ${headNow.seq}): they were not appended through the audit log.`,
      );
    }
    return { ok: true, events: count };
  }

  /** Locks the head row for the rest of the transaction and reads it: appends from every instance take turns. */
  private async lockHead(trx: Transaction<Database>): Promise<{ seq: number; hash: string }> {
    if (this.dialect === 'postgres') {
      const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).forUpdate().executeTakeFirst();
      if (!head) throw new Error('The audit_head row is missing: the database was not migrated.');
      return head;
    }
    // SQLite: a write first takes the database's write lock now (waiting on busy_timeout), rather than failing
    // with SQLITE_BUSY when the read transaction upgrades after another process appended.
    await sql`update audit_head set seq = seq where id = 1`.execute(trx);
    return this.readHead(trx);
  }

  private async readHead(db: Kysely<Database>): Promise<{ seq: number; hash: string }> {
    const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
    if (!head) throw new Error('The audit_head row is missing: the database was not migrated.');
    return { seq: Number(head.seq), hash: head.hash };
  }
}
