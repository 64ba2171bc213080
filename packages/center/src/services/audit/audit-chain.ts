/**
 * The audit log's chain: how an event's hash is made and how a chain is checked, event by event. Pure; audit.ts
 * reads and writes the rows.
 *
 * Canonical form, fixed forever for the hashes already written:
 *   canonical = the UTF-8 bytes of canonicalJson([seq, at, actor, action, subject, data, prevHash])
 * where canonicalJson is JSON with no whitespace in which every object's keys, at every depth, are sorted by
 * UTF-16 code units (JavaScript's default sort); arrays keep their order; numbers, strings, true, false and null
 * are written as JSON.stringify writes them. `data` is first reduced to its JSON value (as JSON.parse of
 * JSON.stringify: dates become strings, undefined members go); that value is what is stored (as its canonical
 * JSON) and returned. The first event's prevHash is 64 zeros, the head's initial hash.
 *
 * Two schemes, told apart by audit_head.keyed_from (K):
 * - keyed, every event from seq K on: hash = lower-case hex HMAC-SHA256(auditKey, canonical), where auditKey =
 *   HKDF-SHA256(master key, no salt, info "tessera/audit-chain/v1", 32 bytes). Someone who can write to the
 *   database but does not hold the master key cannot make a hash that verifies.
 * - legacy, events 1 to K-1 written before the upgrade that keyed the chain: hash = lower-case hex SHA-256(canonical).
 *   The upgrade (migration 0006) kept them and wrote audit_head.anchor = hex HMAC-SHA256(auditKey,
 *   canonicalJson(["tessera-audit-anchor/v1", K-1, hash of event K-1])), so recomputing the legacy hashes after an
 *   alteration breaks the anchor, and moving K either way breaks the anchor or the schemes. A database that never
 *   held legacy events has K = 1 and no anchor.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);
const KEY_INFO = 'tessera/audit-chain/v1';
const ANCHOR_LABEL = 'tessera-audit-anchor/v1';

/** An event as hashed: everything but its own hash. */
export interface UnhashedEvent {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  data: Record<string, unknown>;
  prevHash: string;
}

/** An audit_events row as stored. */
export interface ChainRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}

/** What audit_head says about the chain. */
export interface ChainHead {
  seq: number;
  hash: string;
  /** The first keyed event; the ones before it are legacy. */
  keyedFrom: number;
  anchor: string | null;
}

export interface ChainBreak {
  /** Events found intact before the break. */
  events: number;
  brokenAt: number;
  reason: string;
}

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

/** The key of the chain's MACs: derived, never the master key itself (which also seals the signing keys). */
export function auditChainKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, new Uint8Array(0), KEY_INFO, 32));
}

function canonicalOf(event: UnhashedEvent): string {
  return canonicalJson([event.seq, event.at, event.actor, event.action, event.subject, event.data, event.prevHash]);
}

/** The hash of an event written from the keyed upgrade on. */
export function keyedEventHash(key: Uint8Array, event: UnhashedEvent): string {
  return createHmac('sha256', key).update(canonicalOf(event), 'utf8').digest('hex');
}

/** The hash of an event written before the chain was keyed (anyone can compute it). */
export function legacyEventHash(event: UnhashedEvent): string {
  return createHash('sha256').update(canonicalOf(event), 'utf8').digest('hex');
}

/** The MAC binding the legacy part: how many events it has and the hash of its last. */
export function anchorOf(key: Uint8Array, legacyEvents: number, legacyHeadHash: string): string {
  return createHmac('sha256', key)
    .update(canonicalJson([ANCHOR_LABEL, legacyEvents, legacyHeadHash]), 'utf8')
    .digest('hex');
}

/** A row's data as stored (canonical JSON of an object); null when it was tampered into something else. */
export function parseData(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Checks a chain fed in seq order, from event 1: seq continuity, each prevHash against the hash before it, each
 * hash recomputed under its scheme, the anchor at the end of the legacy part, and finally the head. The first
 * break found is the first broken link.
 */
export class ChainCheck {
  /** Events found intact so far. */
  events = 0;
  private prevHash = GENESIS_HASH;

  constructor(
    private readonly key: Uint8Array,
    private readonly head: ChainHead,
  ) {}

  next(row: ChainRow): ChainBreak | null {
    const expected = this.events + 1;
    const after = this.events === 0 ? 'the start of the chain' : `event ${this.events}`;
    const broken = (reason: string): ChainBreak => ({ events: this.events, brokenAt: row.seq, reason });
    if (row.seq !== expected) {
      const missing = row.seq - 1 === expected ? `event ${expected} is` : `events ${expected} to ${row.seq - 1} are`;
      return broken(`Event ${row.seq} follows ${after}: ${missing} missing.`);
    }
    if (row.prev_hash !== this.prevHash) return broken(`Event ${row.seq} does not link to ${after}: one of them was altered.`);
    const data = parseData(row.data);
    if (!data) return broken(`Event ${row.seq} was altered: its data is not a JSON object.`);
    const event: UnhashedEvent = {
      seq: row.seq,
      at: row.at,
      actor: row.actor,
      action: row.action,
      subject: row.subject,
      data,
      prevHash: row.prev_hash,
    };
    const keyed = row.seq >= this.head.keyedFrom;
    if ((keyed ? keyedEventHash(this.key, event) : legacyEventHash(event)) !== row.hash) {
      // The first keyed event is also where a master key other than the chain's shows.
      const or = keyed && row.seq === this.head.keyedFrom ? ' (or the master key is not the one it was written with)' : '';
      return broken(`Event ${row.seq} was altered: its contents no longer match its hash${or}.`);
    }
    this.events = row.seq;
    this.prevHash = row.hash;
    if (row.seq === this.head.keyedFrom - 1 && anchorOf(this.key, row.seq, row.hash) !== this.head.anchor) {
      // Every legacy hash can be recomputed, so which legacy event changed cannot be told; none is vouched for.
      return {
        events: 0,
        brokenAt: row.seq,
        reason:
          `Events 1 to ${row.seq}, written before the chain was keyed, no longer match the keyed anchor of their last hash: ` +
          'one of them was altered and the hashes after it recomputed, or the anchor or the keyed boundary was changed.',
      };
    }
    return null;
  }

  /** After the last event up to the head's seq: nothing missing at the end, and the head names the last event. */
  end(): ChainBreak | null {
    const { seq, keyedFrom } = this.head;
    const broken = (brokenAt: number, reason: string): ChainBreak => ({ events: this.events, brokenAt, reason });
    if (this.events < seq) {
      return broken(
        this.events + 1,
        `The head says the chain has ${seq} events, but it ends at event ${this.events}: the events after it are missing.`,
      );
    }
    if (keyedFrom - 1 > seq) {
      return broken(seq + 1, `The chain was keyed after event ${keyedFrom - 1}, but its head is event ${seq}: events were removed.`);
    }
    if (this.prevHash !== this.head.hash) {
      return broken(seq, `Event ${seq} does not match the chain's head: it was altered or replaced after it was appended.`);
    }
    return null;
  }
}
