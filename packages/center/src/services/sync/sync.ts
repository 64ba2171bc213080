/**
 * The License Center side of docs/sync-protocol.md: answers a License Manager's sync request with its license
 * (changed) or a time token alone (unchanged).
 *
 * Cost while nothing changes: one SHA-256 of the request text and a cache hit (the verdict of readSyncRequest is
 * a pure function of the text, and an unchanged LM sends the same bytes), one indexed query (license by online key
 * hash, with its stored usage), no signing (the time token is shared for 60 s; licenses are signed once per
 * serial) and no writes (usage only when it changed, last-seen and sightings at most every few minutes).
 */
import { createHash } from 'node:crypto';
import type { CompiledQuery, Kysely } from 'kysely';
import { fail, makeTimeToken, ok, readSyncRequest } from '@tessera/core';
import type { Clock, Code, Failure, Result, Success, SyncRequest } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import type { Licenses } from '../licenses/licenses.js';
import { onlineKeyHash } from '../licenses/online-keys.js';
import type { SigningKeys } from '../trust/signing-keys.js';
import type { TrustBundles } from '../trust/trust-bundles.js';
import type { ClockResets } from '../trust/clock-resets.js';

/**
 * What an LM gets back: the license when it changed, always a time token and the root-signed trust bundle, and a
 * clock reset when its request named a mark ahead of this License Center's time (clockMark).
 */
export type SyncAnswer = ({ changed: false } | { changed: true; license: string }) & { time: string; trust: string; clockReset?: string };

/** The answer, or a refusal of the protocol (docs/sync-protocol.md), RATE_LIMITED with the seconds to wait. */
export type SyncOutcome = Success<SyncAnswer> | (Failure & { retryAfter?: number });

export interface SyncStats {
  /** readSyncRequest runs (each one parse and, for a well-formed request, one Ed25519 verification). */
  verified: number;
  /** Requests answered from the verdict cache. */
  cacheHits: number;
  /** Time tokens signed. */
  timeTokens: number;
  /** Requests whose `known` serial was higher than LC's own: LC's data went backwards (a restored backup). */
  supersededByLm: number;
}

const MAX_REQUEST_CHARS = 64 * 1024;
const TIME_TOKEN_REUSE_MS = 60_000;
/** Last-seen times and sightings are refreshed at most this often while nothing else changes. */
const SEEN_REFRESH_MS = 5 * 60_000;
const DEFAULT_CACHE_SIZE = 10_000;
/** Verdicts that say the request does not prove its sender: the request is the LM's credential. */
const UNPROVEN: ReadonlySet<Code> = new Set(['LMID_MISMATCH', 'SIGNATURE_INVALID']);

export class SyncService {
  private readonly db: Kysely<Database>;
  private readonly licenses: Licenses;
  private readonly keys: SigningKeys;
  private readonly trustBundles: TrustBundles;
  private readonly clockResets: ClockResets;
  private readonly clock: Clock;
  private readonly cacheSize: number;
  /** Verdicts by SHA-256 of the request text; Map order is recency (a hit moves its entry to the end). */
  private readonly verdicts = new Map<string, Result<SyncRequest>>();
  private timeToken: { text: string; at: number } | null = null;
  private timeTokenSigning: Promise<string> | null = null;
  /** When this process last wrote a sighting of (lmid, hostname), so repeated syncs do not write. */
  private readonly sightingsWritten = new Map<string, number>();
  private readonly counters: SyncStats = { verified: 0, cacheHits: 0, timeTokens: 0, supersededByLm: 0 };
  /**
   * License rows by online key hash, kept ROW_TTL_MS (monotonic time): the sync-protocol document allows an
   * in-process copy that every change invalidates. Changes made here drop the row at once (Licenses.onChange);
   * changes made by another instance on the same database are seen within ROW_TTL_MS.
   */
  private readonly rows = new Map<string, { row: SyncRow; at: number }>();
  private readonly hashOfLicense = new Map<string, string>();
  private readonly monotonic: () => number;
  /** The row lookup, compiled once: building and compiling it per request cost more than running it. */
  private readonly rowQuery: CompiledQuery<SyncRow>;

  /** Per online key budget: the seconds to wait when over it, else 0 (see http/rate-limit.ts). */
  private readonly limitKey: (onlineKey: string) => number;

  constructor(options: {
    db: Kysely<Database>;
    licenses: Licenses;
    keys: SigningKeys;
    trustBundles: TrustBundles;
    clockResets: ClockResets;
    clock: Clock;
    cacheSize?: number;
    limitKey?: (onlineKey: string) => number;
    /** Monotonic milliseconds for the row copies' lifetime (tests move it). */
    monotonic?: () => number;
  }) {
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.limitKey = options.limitKey ?? (() => 0);
    this.db = options.db;
    this.rowQuery = rowQueryOf(options.db);
    options.licenses.onChange((licenseId) => this.forget(licenseId));
    this.licenses = options.licenses;
    this.keys = options.keys;
    this.trustBundles = options.trustBundles;
    this.clockResets = options.clockResets;
    this.clock = options.clock;
    this.cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE);
  }

  /** Handles the body of POST /v1/lm/sync: the protocol's answer or refusal. Bad input is a refusal, never a throw. */
  async handle(body: unknown): Promise<SyncOutcome> {
    const text = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { request?: unknown }).request : undefined;
    if (typeof text !== 'string') return fail('BAD_REQUEST', 'The body must be JSON { "request": "<sync request>" }.');
    if (text.length > MAX_REQUEST_CHARS) return fail('BAD_REQUEST', 'The sync request is over 64 KiB.');
    const verdict = this.verdictOf(text);
    if (!verdict.ok) return UNPROVEN.has(verdict.code) ? fail('IDENTITY_UNPROVEN', verdict.detail) : verdict;
    const request = verdict.value;
    const wait = this.limitKey(request.onlineKey);
    if (wait > 0) return { ...fail('RATE_LIMITED', `Too many syncs with this online key; wait ${wait} s.`), retryAfter: wait };

    const row = await this.licenseRow(derivedOf(request).keyHash);
    // An unknown, withdrawn or ended license answers alike, so the answer tells nothing about keys that once existed.
    if (!row || row.status !== 'active') {
      return fail('NOT_FOUND', 'No license has this online key. Check the key the License Center shows for your license.');
    }
    if (row.lmid === null) {
      return fail('SYNC_REFUSED', `License ${row.id} is not bound yet: bind LMID ${request.lmid} in the License Center first.`);
    }
    if (row.lmid !== request.lmid) {
      return fail(
        'LMID_MISMATCH',
        `License ${row.id} is bound to another License Manager (${row.lmid}), not ${request.lmid}: was the License Manager copied to another host?`,
      );
    }

    await this.record(request, row);
    const time = await this.currentTimeToken();
    // Every answer carries the root-signed bundle (signed once per change): an LM picks up a rotation or a
    // revocation at its next sync, and hands it to the products, which check it with the root built into them.
    const trust = await this.trustBundles.signed();
    // A mark ahead of this center's time moves back only by a reset naming it (issued and audited per request).
    const reset = request.clockMark === null ? null : await this.clockResets.forSync(request.lmid, request.clockMark);
    const extra = { time, trust, ...(reset === null ? {} : { clockReset: reset }) };
    const { known } = request;
    if (known !== null && known.licenseId === row.id && known.serial === row.serial) return ok({ changed: false, ...extra });
    if (known !== null && known.licenseId === row.id && known.serial > row.serial) this.counters.supersededByLm++;
    const license = row.signed_serial === row.serial && row.signed_text !== null ? row.signed_text : await this.licenses.signedText(row.id);
    // Unbound or gone between the two reads: answer as the first read would have, had it seen the change.
    if (license === null) return fail('SYNC_REFUSED', `License ${row.id} changed during the sync; sync again.`);
    // The row was read before the text was signed and stored: read it again next time, with the text.
    if (row.signed_serial !== row.serial) this.forget(row.id);
    return ok({ changed: true, license, ...extra });
  }

  /** LMIDs that synced from more than one hostname: likely a License Manager's data path copied to another host. */
  async likelyClones(): Promise<{ lmid: string; hostnames: string[] }[]> {
    const rows = await this.db
      .selectFrom('lm_sightings')
      .select(['lmid', 'hostname'])
      .where('lmid', 'in', (eb) =>
        eb
          .selectFrom('lm_sightings')
          .select('lmid')
          .groupBy('lmid')
          .having((h) => h.fn.countAll(), '>', 1),
      )
      .orderBy('lmid')
      .orderBy('hostname')
      .execute();
    const clones = new Map<string, string[]>();
    for (const { lmid, hostname } of rows) clones.set(lmid, [...(clones.get(lmid) ?? []), hostname]);
    return [...clones].map(([lmid, hostnames]) => ({ lmid, hostnames }));
  }

  stats(): SyncStats {
    return { ...this.counters };
  }

  /** Drops the in-process copy of a license (after a change). */
  forget(licenseId: string): void {
    const hash = this.hashOfLicense.get(licenseId);
    if (hash === undefined) return;
    this.rows.delete(hash);
    this.hashOfLicense.delete(licenseId);
  }

  private async licenseRow(hash: string): Promise<SyncRow | undefined> {
    const now = this.monotonic();
    const cached = this.rows.get(hash);
    if (cached && now - cached.at < ROW_TTL_MS) return cached.row;
    const { rows } = await this.db.executeQuery<SyncRow>({ ...this.rowQuery, parameters: [hash] });
    const row = rows[0];
    if (cached) this.rows.delete(hash);
    if (row) {
      this.rows.set(hash, { row, at: now });
      this.hashOfLicense.set(row.id, hash);
      if (this.rows.size > this.cacheSize) {
        const [oldest, entry] = this.rows.entries().next().value!;
        this.rows.delete(oldest);
        this.hashOfLicense.delete(entry.row.id);
      }
    }
    return row;
  }

  private verdictOf(text: string): Result<SyncRequest> {
    const digest = createHash('sha256').update(text, 'utf8').digest('base64url');
    const cached = this.verdicts.get(digest);
    if (cached) {
      this.counters.cacheHits++;
      this.verdicts.delete(digest);
      this.verdicts.set(digest, cached);
      return cached;
    }
    this.counters.verified++;
    // Failures are cached too: they are as pure as successes, and a broken LM repeats itself.
    const verdict = readSyncRequest(text);
    this.verdicts.set(digest, verdict);
    if (this.verdicts.size > this.cacheSize) this.verdicts.delete(this.verdicts.keys().next().value!);
    return verdict;
  }

  /** One token for every answer for up to 60 s (or until the clock goes back); concurrent callers share one signing. */
  private async currentTimeToken(): Promise<string> {
    const now = this.clock.now();
    const token = this.timeToken;
    if (token && now >= token.at && now - token.at < TIME_TOKEN_REUSE_MS) return token.text;
    this.timeTokenSigning ??= (async () => {
      try {
        const text = makeTimeToken(now, await this.keys.active());
        this.counters.timeTokens++;
        this.timeToken = { text, at: now };
        return text;
      } finally {
        this.timeTokenSigning = null;
      }
    })();
    return this.timeTokenSigning;
  }

  /** Usage only when it differs from what is stored, last-seen and sightings at most every few minutes. */
  private async record(
    request: SyncRequest,
    row: {
      id: string;
      reportedLmid: string | null;
      reportedUsage: string | null;
      reportedHost: string | null;
      reportedVersion: string | null;
      reportedAt: number | null;
    },
  ): Promise<void> {
    const now = this.clock.now();
    const { report } = derivedOf(request);
    const same =
      row.reportedLmid === report.lmid &&
      row.reportedUsage === report.usage &&
      row.reportedHost === report.host &&
      row.reportedVersion === report.lm_version;
    if (!same || row.reportedAt === null || now - row.reportedAt >= SEEN_REFRESH_MS || now < row.reportedAt) {
      await this.db
        .insertInto('usage_reports')
        .values({ license_id: row.id, ...report, reported_at: now })
        .onConflict((oc) => oc.column('license_id').doUpdateSet({ ...report, reported_at: now }))
        .execute();
      // The cached copy (when this row is it) now matches what is stored.
      Object.assign(row, {
        reportedLmid: report.lmid,
        reportedUsage: report.usage,
        reportedHost: report.host,
        reportedVersion: report.lm_version,
        reportedAt: now,
      });
    }
    const sighting = `${request.lmid}\n${request.host.hostname}`;
    const written = this.sightingsWritten.get(sighting);
    if (written !== undefined && now >= written && now - written < SEEN_REFRESH_MS) return;
    await this.db
      .insertInto('lm_sightings')
      .values({ lmid: request.lmid, hostname: request.host.hostname, first_seen: now, last_seen: now })
      .onConflict((oc) => oc.columns(['lmid', 'hostname']).doUpdateSet({ last_seen: now }))
      .execute();
    this.sightingsWritten.delete(sighting);
    this.sightingsWritten.set(sighting, now);
    if (this.sightingsWritten.size > this.cacheSize) this.sightingsWritten.delete(this.sightingsWritten.keys().next().value!);
  }
}

type Report = { lmid: string; usage: string; host: string; lm_version: string };
/**
 * What is derived from a request (the stored form of its report, its online key's hash), made once per request
 * object: verdicts are cached, so once per LM state rather than once per sync.
 */
const derived = new WeakMap<SyncRequest, { report: Report; keyHash: string }>();

function derivedOf(request: SyncRequest): { report: Report; keyHash: string } {
  let value = derived.get(request);
  if (!value) {
    value = {
      report: {
        lmid: request.lmid,
        usage: JSON.stringify(sortedUsage(request.usage)),
        host: JSON.stringify({ hostname: request.host.hostname, os: request.host.os }),
        lm_version: request.lmVersion,
      },
      keyHash: onlineKeyHash(request.onlineKey),
    };
    derived.set(request, value);
  }
  return value;
}

function sortedUsage(usage: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(usage).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const ROW_TTL_MS = 2_000;

type SyncRow = {
  id: string;
  serial: number;
  status: 'active' | 'suspended' | 'ended';
  lmid: string | null;
  signed_text: string | null;
  signed_serial: number | null;
  reportedLmid: string | null;
  reportedUsage: string | null;
  reportedHost: string | null;
  reportedVersion: string | null;
  reportedAt: number | null;
};

function rowQueryOf(db: Kysely<Database>): CompiledQuery<SyncRow> {
  return db
    .selectFrom('licenses')
    .leftJoin('usage_reports', 'usage_reports.license_id', 'licenses.id')
    .select([
      'licenses.id',
      'licenses.serial',
      'licenses.status',
      'licenses.lmid',
      'licenses.signed_text',
      'licenses.signed_serial',
      'usage_reports.lmid as reportedLmid',
      'usage_reports.usage as reportedUsage',
      'usage_reports.host as reportedHost',
      'usage_reports.lm_version as reportedVersion',
      'usage_reports.reported_at as reportedAt',
    ])
    .where('licenses.online_key_hash', '=', '')
    .compile() as CompiledQuery<SyncRow>;
}
