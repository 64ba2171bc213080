/**
 * Licenses: the vendor's sales flow (create, bind an LMID, renew, expand, switch mode)
 * and the keys a customer copies. Every change commits in one transaction with its license_changes row and its
 * audit event; every change of the signed content raises the serial. A license is signed once per serial (on
 * first demand) and the text kept, so syncs and key pages never sign.
 */
import type { Kysely, Transaction } from 'kysely';
import { fail, ok, parseLmid } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import type { DialectStatements } from '../../db/dialects/index.js';
import type { AuditLog } from '../audit/audit.js';
import {
  addMonths,
  contentProblem,
  effectiveOutageGrace,
  expandedNodes,
  outageGraceProblem,
  productNames,
  rebindLimitProblem,
  reasonProblem,
  rebindReasonProblem,
  REBIND_WINDOW_MS,
} from './license-rules.js';
import { signLicenseRow } from './license-signing.js';
import type { LicenseView, ProductView } from './license-views.js';
import { onlineKeyFor } from './online-keys.js';
import type { SigningKeys } from '../trust/signing-keys.js';

import { LicenseStore, notFound } from './license-store.js';
import type { LicenseInputOfStaff, LicenseRow, OfflineIssue, Scope } from './license-store.js';

export type { LicenseInputOfStaff, OfflineIssue, Scope };
export { addMonths };
export type { LicenseView, ProductView };

export class Licenses {
  private readonly db: Kysely<Database>;
  private readonly keys: SigningKeys;
  private readonly audit: AuditLog;
  private readonly masterKey: Uint8Array;
  private readonly clock: Clock;
  private readonly dialect: DialectStatements;
  private readonly store: LicenseStore;

  constructor(options: {
    db: Kysely<Database>;
    dialect: DialectStatements;
    keys: SigningKeys;
    audit: AuditLog;
    masterKey: Uint8Array;
    clock: Clock;
  }) {
    this.db = options.db;
    this.keys = options.keys;
    this.audit = options.audit;
    this.masterKey = options.masterKey;
    this.clock = options.clock;
    this.dialect = options.dialect;
    this.store = new LicenseStore(options);
  }

  /** Staff's sales flow: a product's roles, limits and features for a term; serial 1, no LMID; in `trx` when given. */
  async createLicense(input: LicenseInputOfStaff, actor: string, trx?: Transaction<Database>): Promise<Result<LicenseView>> {
    if (input.mode !== undefined && input.mode !== 'online' && input.mode !== 'offline')
      return fail('BAD_REQUEST', 'mode must be online or offline.');
    return this.store.insert({ ...input, mode: input.mode ?? 'offline', lmid: null }, actor, 'created', trx);
  }

  /**
   * Staff's offline issue for one License Manager (a request code): a new license bound to the LMID, or, with
   * licenseId, new content and term for a license that is unbound or already bound to it. Rebinding is rebind()'s.
   */
  async issueOffline(input: OfflineIssue, actor: string, kind: string): Promise<Result<LicenseView>> {
    const parsed = parseLmid(input.lmid);
    if (!parsed.ok) return parsed;
    const lmid = parsed.value;
    if (input.licenseId === undefined) return this.store.insert({ ...input, mode: 'offline', lmid }, actor, kind);
    return this.store.change(input.licenseId, { customerId: input.customerId }, actor, async (row, trx) => {
      if (row.product_id !== input.productId)
        return fail('BAD_REQUEST', `License ${row.id} is for another product than ${input.productId}.`);
      if (row.lmid !== null && row.lmid !== lmid) {
        return fail(
          'BAD_REQUEST',
          `License ${row.id} is bound to License Manager ${row.lmid}, not ${lmid}: rebind it first (staff, with a reason), or issue a new license.`,
        );
      }
      const product = await trx.selectFrom('products').selectAll().where('id', '=', row.product_id).executeTakeFirstOrThrow();
      const problem = contentProblem(productNames(product), { ...input, startsAt: row.starts_at });
      if (problem) return fail('BAD_REQUEST', problem);
      const set = {
        nodes: JSON.stringify(input.nodes),
        limits: JSON.stringify(input.limits),
        features: JSON.stringify(input.features),
        expires_at: input.expiresAt,
        mode: 'offline' as const,
        lmid,
      };
      const detail = {
        licenseId: row.id,
        lmid,
        nodes: input.nodes,
        limits: input.limits,
        features: input.features,
        expiresAt: input.expiresAt,
      };
      return ok({ kind, set, detail });
    });
  }

  /** Binds the license to an LMID once. Moving it to another LMID is a staff rebind(), with a reason and a yearly limit. */
  async bindLmid(licenseId: string, lmid: string, scope: Scope, actor: string): Promise<Result<LicenseView>> {
    const parsed = parseLmid(lmid);
    if (!parsed.ok) return parsed;
    return this.store.change(licenseId, scope, actor, (row) => {
      if (row.lmid === parsed.value) return ok(null);
      if (row.lmid !== null) {
        const how = scope.customerId === null ? 'rebind it with a reason instead' : `ask the vendor to rebind it to ${parsed.value}`;
        return fail('BAD_REQUEST', `License ${row.id} is already bound to License Manager ${row.lmid}; ${how}.`);
      }
      return ok({ kind: 'bound', set: { lmid: parsed.value }, detail: { lmid: parsed.value, previous: null } });
    });
  }

  /** Staff moves a bound license to another LMID (a host replaced): with a reason, at most rebindsPerYear in any 365 days. */
  async rebind(
    licenseId: string,
    newLmid: string,
    reason: string,
    actor: string,
    rules: { rebindsPerYear: number },
  ): Promise<Result<LicenseView>> {
    const reasonProblem = rebindReasonProblem(reason);
    if (reasonProblem) return fail('BAD_REQUEST', reasonProblem);
    const parsed = parseLmid(newLmid);
    if (!parsed.ok) return parsed;
    const lmid = parsed.value;
    return this.store.change(licenseId, { customerId: null }, actor, async (row, trx) => {
      if (row.lmid === null) return fail('BAD_REQUEST', `License ${row.id} is not bound to a License Manager yet: bind it instead.`);
      if (row.lmid === lmid) return ok(null);
      const since = this.clock.now() - REBIND_WINDOW_MS;
      // Counted under the license's row lock (PostgreSQL) or SQLite's write lock: two rebinds at once cannot both pass.
      const recent = await trx
        .selectFrom('license_changes')
        .select('at')
        .where('license_id', '=', row.id)
        .where('kind', '=', 'rebound')
        .where('at', '>', since)
        .orderBy('at')
        .execute();
      const limited = rebindLimitProblem(
        row.id,
        recent.map((r) => r.at),
        rules.rebindsPerYear,
      );
      if (limited) return fail('RATE_LIMITED', limited);
      return ok({ kind: 'rebound', set: { lmid }, detail: { lmid, previous: row.lmid, reason: reason.trim() } });
    });
  }

  async setMode(licenseId: string, mode: 'online' | 'offline', scope: Scope, actor: string): Promise<Result<LicenseView>> {
    if (mode !== 'online' && mode !== 'offline') return fail('BAD_REQUEST', 'mode must be online or offline.');
    return this.store.change(licenseId, scope, actor, (row) =>
      ok(row.mode === mode ? null : { kind: 'mode', set: { mode }, detail: { mode, previous: row.mode } }),
    );
  }

  /** Extends the term by whole calendar months from the current expiry. */
  async renew(licenseId: string, months: 1 | 12, actor: string): Promise<Result<LicenseView>> {
    if (months !== 1 && months !== 12) return fail('BAD_REQUEST', 'A renewal is for 1 or 12 months.');
    return this.store.change(licenseId, { customerId: null }, actor, (row) => {
      const expiresAt = addMonths(row.expires_at, months);
      return ok({ kind: 'renewed', set: { expires_at: expiresAt }, detail: { months, expiresAt, previous: row.expires_at } });
    });
  }

  /**
   * Staff set the license's own outage grace (hours), or null to follow its product's default. The serial rises (the
   * license is signed again) and the history says what the signed value was and is; setting what is set changes nothing.
   */
  async setOutageGrace(licenseId: string, hours: number | null, actor: string): Promise<Result<LicenseView>> {
    if (hours !== null) {
      const problem = outageGraceProblem(hours, "A license's outage grace");
      if (problem) return fail('BAD_REQUEST', problem);
    }
    return this.db.transaction().execute(async (trx) => {
      const license = await trx.selectFrom('licenses').select('product_id').where('id', '=', licenseId).executeTakeFirst();
      if (!license) return notFound(licenseId);
      // The product first, then the license, then the audit log, in the order a change of the product's default takes
      // them (so neither waits on the other in a circle), and the default read here stays the one licenses follow.
      const product = await this.dialect
        .forShare(trx.selectFrom('products').select('outage_grace_hours').where('id', '=', license.product_id))
        .executeTakeFirstOrThrow();
      return this.store.change(
        licenseId,
        { customerId: null },
        actor,
        (row) => {
          if (row.outage_grace_hours === hours) return ok(null);
          const detail = {
            outageGraceHours: effectiveOutageGrace(hours, product.outage_grace_hours),
            previous: effectiveOutageGrace(row.outage_grace_hours, product.outage_grace_hours),
            source: hours === null ? 'product' : 'license',
          };
          return ok({ kind: 'outage_grace', set: { outage_grace_hours: hours }, detail });
        },
        trx,
      );
    });
  }

  /**
   * The product's default outage grace changed from `previous` to `next` (catalogue.ts, in its transaction): a license
   * that follows it is signed again with a raised serial; one with its own grace is left as it is.
   */
  async followProductGrace(
    licenseId: string,
    grace: { previous: number; next: number },
    actor: string,
    trx: Transaction<Database>,
  ): Promise<Result<LicenseView>> {
    return this.store.change(
      licenseId,
      { customerId: null },
      actor,
      (row) =>
        ok(
          row.outage_grace_hours !== null || grace.previous === grace.next
            ? null
            : { kind: 'outage_grace', set: {}, detail: { outageGraceHours: grace.next, previous: grace.previous, source: 'product' } },
        ),
      trx,
    );
  }

  /**
   * Raises the serial and changes nothing else, so the license is signed again, by the active key, when next
   * asked for: after the key that signed its current serial was revoked (services/trust/key-changes.ts).
   */
  async resign(licenseId: string, reason: string, actor: string): Promise<Result<LicenseView>> {
    return this.store.change(licenseId, { customerId: null }, actor, () => ok({ kind: 'resigned', set: {}, detail: { reason } }));
  }

  /** Adds seats per role (roles of the license's product). */
  async expand(licenseId: string, addNodes: Record<string, number>, actor: string): Promise<Result<LicenseView>> {
    return this.store.change(licenseId, { customerId: null }, actor, async (row, trx) => {
      const product = await trx.selectFrom('products').select(['slug', 'roles']).where('id', '=', row.product_id).executeTakeFirstOrThrow();
      const nodes = expandedNodes(JSON.parse(row.nodes) as Record<string, number>, addNodes, product);
      return nodes.ok
        ? ok({ kind: 'expanded', set: { nodes: JSON.stringify(nodes.value) }, detail: { added: addNodes, nodes: nodes.value } })
        : nodes;
    });
  }

  /**
   * Staff suspend a license (payment overdue, a dispute) or resume it. A suspended license's online key stops
   * syncing and no key is handed out; an offline key already copied works until it expires, as it must offline.
   */
  async setStatus(
    licenseId: string,
    status: 'active' | 'suspended',
    reason: string,
    actor: string,
    trx?: Transaction<Database>,
  ): Promise<Result<LicenseView>> {
    const problem = reasonProblem(reason, status === 'active' ? 'resumption' : 'suspension', 'the ticket and what was agreed');
    if (problem) return fail('BAD_REQUEST', problem);
    return this.store.change(
      licenseId,
      { customerId: null },
      actor,
      (row) => {
        if (row.status === status) return ok(null);
        if (row.status === 'ended') return fail('BAD_REQUEST', `License ${row.id} has ended; issue a new license instead.`);
        const kind = status === 'active' ? 'resumed' : 'suspended';
        return ok({ kind, set: { status }, detail: { status, previous: row.status, reason: reason.trim() } });
      },
      trx,
    );
  }

  /**
   * A marketplace contract's new term as the marketplace states it: the expiry (a renewal) and the nodes per role
   * (an expansion), each a change of its own that raises the serial; in the caller's transaction.
   */
  async setTerms(
    licenseId: string,
    terms: { expiresAt: number; nodes: Record<string, number> },
    actor: string,
    detail: Record<string, unknown>,
    trx: Transaction<Database>,
  ): Promise<Result<LicenseView>> {
    const renewed = await this.store.change(
      licenseId,
      { customerId: null },
      actor,
      (row) =>
        ok(
          row.expires_at === terms.expiresAt
            ? null
            : {
                kind: 'renewed',
                set: { expires_at: terms.expiresAt },
                detail: { ...detail, expiresAt: terms.expiresAt, previous: row.expires_at },
              },
        ),
      trx,
    );
    if (!renewed.ok) return renewed;
    return this.store.change(
      licenseId,
      { customerId: null },
      actor,
      async (row, t) => {
        const previous = JSON.parse(row.nodes) as Record<string, number>;
        const nodes = { ...previous, ...terms.nodes };
        if (JSON.stringify(Object.entries(nodes).sort()) === JSON.stringify(Object.entries(previous).sort())) return ok(null);
        const product = await t.selectFrom('products').selectAll().where('id', '=', row.product_id).executeTakeFirstOrThrow();
        const problem = contentProblem(productNames(product), {
          nodes,
          limits: JSON.parse(row.limits) as unknown,
          features: JSON.parse(row.features) as unknown,
          startsAt: row.starts_at,
          expiresAt: row.expires_at,
        });
        if (problem) return fail('BAD_REQUEST', problem);
        return ok({ kind: 'expanded', set: { nodes: JSON.stringify(nodes) }, detail: { ...detail, nodes, previous } });
      },
      trx,
    );
  }

  /** Calls `listener` with a license's id after every committed change of it made through this instance. */
  onChange(listener: (licenseId: string) => void): void {
    this.store.onChange(listener);
  }

  async get(licenseId: string, scope: Scope): Promise<Result<LicenseView>> {
    const row = await this.store.find(this.db, licenseId, scope, false);
    return row ? ok(await this.store.viewIn(this.db, row)) : notFound(licenseId);
  }

  /** The key a customer copies: the online key, or for offline mode the signed license bound to its LMID. */
  async key(licenseId: string, scope: Scope): Promise<Result<{ mode: 'online' | 'offline'; key: string }>> {
    const row = await this.store.find(this.db, licenseId, scope, false);
    if (!row) return notFound(licenseId);
    if (row.status !== 'active') return fail('BAD_REQUEST', `License ${row.id} is ${row.status}; contact the vendor to have it resumed.`);
    if (row.mode === 'online') return ok({ mode: 'online', key: onlineKeyFor(this.masterKey, row.id) });
    if (row.lmid === null) {
      return fail('BAD_REQUEST', `License ${row.id} is not bound to a License Manager yet: bind its LMID first to get an offline key.`);
    }
    const text = await this.signedTextOf(row);
    return text === null ? notFound(licenseId) : ok({ mode: 'offline', key: text });
  }

  /** The signed license for the current serial, signed on first demand and stored; null when unknown or unbound. */
  async signedText(licenseId: string): Promise<string | null> {
    const row = await this.db.selectFrom('licenses').selectAll().where('id', '=', licenseId).executeTakeFirst();
    return row ? this.signedTextOf(row) : null;
  }

  /** As signedText, for a row the caller has already read (the sync path reads it once). */
  async signedTextOf(row: LicenseRow): Promise<string | null> {
    return signLicenseRow(this.db, this.keys, row);
  }
}
