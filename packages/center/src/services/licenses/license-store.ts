/**
 * How a license row changes, for Licenses (the sales flow) and the services that build on it: a new license at
 * serial 1, or one change read under lock, applied, the serial raised, recorded in license_changes and the audit
 * log, all in one transaction; listeners hear of each committed change (the sync path drops its copy).
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DialectStatements } from '../../db/dialects/index.js';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { Database, LicensesTable } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { AuditLog } from '../audit/audit.js';
import { contentProblem, DEFAULT_GRACE_DAYS, DEFAULT_WARN_DAYS, productNames } from './license-rules.js';
import { licenseViewOf } from './license-views.js';
import type { LicenseView } from './license-views.js';
import { onlineKeyFor, onlineKeyHash } from './online-keys.js';

export interface LicenseInputOfStaff {
  customerId: string;
  productId: string;
  nodes: Record<string, number>;
  limits?: Record<string, number>;
  features?: string[];
  startsAt: number;
  expiresAt: number;
  mode?: 'online' | 'offline';
  /** The contract (contracts.ts) the license was sold under. */
  contractId?: string;
}

/** An offline license for one LMID (see issueOffline). */
export interface OfflineIssue {
  /** Update this license instead of creating one. */
  licenseId?: string;
  customerId: string;
  productId: string;
  lmid: string;
  nodes: Record<string, number>;
  limits: Record<string, number>;
  features: string[];
  startsAt: number;
  expiresAt: number;
}

export type Scope = { customerId: string | null };

export type LicenseRow = Selectable<LicensesTable>;
export type Change = { kind: string; set: Partial<LicenseRow>; detail: Record<string, unknown> };

export class LicenseStore {
  private readonly db: Kysely<Database>;
  private readonly audit: AuditLog;
  private readonly masterKey: Uint8Array;
  private readonly clock: Clock;
  private readonly dialect: DialectStatements;
  private readonly listeners: ((licenseId: string) => void)[] = [];

  constructor(options: { db: Kysely<Database>; dialect: DialectStatements; audit: AuditLog; masterKey: Uint8Array; clock: Clock }) {
    this.db = options.db;
    this.audit = options.audit;
    this.masterKey = options.masterKey;
    this.clock = options.clock;
    this.dialect = options.dialect;
  }

  /** A new license at serial 1, recorded as `kind`; one transaction (the caller's, when given). */
  async insert(
    input: LicenseInputOfStaff & { mode: 'online' | 'offline'; lmid: string | null },
    actor: string,
    kind: string,
    outer?: Transaction<Database>,
  ): Promise<Result<LicenseView>> {
    const work = async (trx: Transaction<Database>): Promise<Result<LicenseView>> => {
      // Shared-locked: a change of the product's outage grace (Catalogue.setOutageGrace) either comes first, and this
      // license follows the new value from serial 1, or comes after and finds this license among those it re-signs.
      const product = await this.dialect
        .forShare(trx.selectFrom('products').selectAll().where('id', '=', input.productId))
        .executeTakeFirst();
      if (!product) return fail('NOT_FOUND', `There is no product ${input.productId}.`);
      const customer = await trx.selectFrom('customers').select('id').where('id', '=', input.customerId).executeTakeFirst();
      if (!customer) return fail('NOT_FOUND', `There is no customer ${input.customerId}.`);
      const limits = input.limits ?? {};
      const features = input.features ?? [];
      const problem = contentProblem(productNames(product), { ...input, limits, features });
      if (problem) return fail('BAD_REQUEST', problem);
      const now = this.clock.now();
      const id = newId('lic_');
      const row: LicenseRow = {
        id,
        customer_id: input.customerId,
        contract_id: input.contractId ?? null,
        product_id: input.productId,
        serial: 1,
        nodes: JSON.stringify(input.nodes),
        limits: JSON.stringify(limits),
        features: JSON.stringify(features),
        starts_at: input.startsAt,
        expires_at: input.expiresAt,
        warn_days: DEFAULT_WARN_DAYS,
        grace_days: DEFAULT_GRACE_DAYS,
        status: 'active',
        mode: input.mode,
        lmid: input.lmid,
        outage_grace_hours: null,
        online_key_hash: onlineKeyHash(onlineKeyFor(this.masterKey, id)),
        signed_text: null,
        signed_serial: null,
        created_at: now,
        updated_at: now,
      };
      const detail = {
        ...(input.lmid === null ? {} : { licenseId: id, lmid: input.lmid }),
        ...(input.contractId === undefined ? {} : { contractId: input.contractId }),
        product: product.slug,
        nodes: input.nodes,
        limits,
        features,
        startsAt: input.startsAt,
        expiresAt: input.expiresAt,
        outageGraceHours: product.outage_grace_hours,
      };
      await trx.insertInto('licenses').values(row).execute();
      await this.record(trx, row, kind, actor, detail);
      return ok(this.viewOf(row, product.outage_grace_hours));
    };
    return outer ? work(outer) : this.db.transaction().execute(work);
  }

  /**
   * Reads the license (locked on PostgreSQL), applies one change, raises the serial, records it; one transaction
   * (the caller's, when given: then in-process copies are dropped before that commit and may be read again for the
   * few seconds other instances keep theirs).
   */
  async change(
    licenseId: string,
    scope: Scope,
    actor: string,
    decide: (row: LicenseRow, trx: Transaction<Database>) => Result<Change | null> | Promise<Result<Change | null>>,
    outer?: Transaction<Database>,
  ): Promise<Result<LicenseView>> {
    const work = async (trx: Transaction<Database>): Promise<Result<LicenseView>> => {
      const row = await this.find(trx, licenseId, scope, true);
      if (!row) return notFound(licenseId);
      const decided = await decide(row, trx);
      if (!decided.ok) return decided;
      if (decided.value === null) return ok(await this.viewIn(trx, row));
      const { kind, set, detail } = decided.value;
      const updated: LicenseRow = { ...row, ...set, serial: row.serial + 1, updated_at: this.clock.now() };
      await trx
        .updateTable('licenses')
        .set({ ...set, serial: updated.serial, updated_at: updated.updated_at })
        .where('id', '=', row.id)
        .execute();
      await this.record(trx, updated, kind, actor, detail);
      return ok(await this.viewIn(trx, updated));
    };
    const changed = await (outer ? work(outer) : this.db.transaction().execute(work));
    // After the commit: in-process copies (the sync path's) drop the license; other instances' expire in seconds.
    if (changed.ok) for (const listener of this.listeners) listener(licenseId);
    return changed;
  }

  /** Calls `listener` with a license's id after every committed change of it made through this instance. */
  onChange(listener: (licenseId: string) => void): void {
    this.listeners.push(listener);
  }

  async find(db: Kysely<Database>, licenseId: string, scope: Scope, lock: boolean): Promise<LicenseRow | undefined> {
    let query = db.selectFrom('licenses').selectAll().where('id', '=', licenseId);
    if (scope.customerId !== null) query = query.where('customer_id', '=', scope.customerId);
    if (lock) query = this.dialect.forUpdate(query);
    return query.executeTakeFirst();
  }

  private async record(trx: Transaction<Database>, row: LicenseRow, kind: string, actor: string, detail: Record<string, unknown>) {
    await trx
      .insertInto('license_changes')
      .values({ license_id: row.id, at: row.updated_at, kind, serial: row.serial, actor, detail: JSON.stringify(detail) })
      .execute();
    await this.audit.append({ actor, action: `license.${kind}`, subject: row.id, data: { serial: row.serial, ...detail } }, trx);
  }

  viewOf(row: LicenseRow, productGraceHours: number): LicenseView {
    return licenseViewOf(row, productGraceHours, this.masterKey);
  }

  /** The view of `row`, with its product's outage grace read in `db` (a transaction's, to see its own changes). */
  async viewIn(db: Kysely<Database>, row: LicenseRow): Promise<LicenseView> {
    const product = await db.selectFrom('products').select('outage_grace_hours').where('id', '=', row.product_id).executeTakeFirstOrThrow();
    return this.viewOf(row, product.outage_grace_hours);
  }
}

export function notFound(licenseId: string) {
  return fail('NOT_FOUND', `There is no license ${licenseId}.`);
}
