/**
 * Products, customers and licenses: the vendor's sales flow (create, bind an LMID, renew, expand, switch mode)
 * and the keys a customer copies. Every change commits in one transaction with its license_changes row and its
 * audit event; every change of the signed content raises the serial. A license is signed once per serial (on
 * first demand) and the text kept, so syncs and key pages never sign.
 */
import { PostgresAdapter } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { fail, issueLicense, maskOnlineKey, ok, parseLmid } from '@tessera/core';
import type { Result } from '@tessera/core';
import type { Database, LicensesTable } from '../db/schema.js';
import { newId } from '../ids.js';
import type { AuditLog } from './audit.js';
import { onlineKeyFor, onlineKeyHash } from './online-keys.js';
import type { SigningKeys } from './signing-keys.js';

export interface ProductView {
  id: string;
  slug: string;
  name: string;
  roles: string[];
  limits: string[];
  features: string[];
  createdAt: number;
}

export interface LicenseView {
  id: string;
  customerId: string;
  productId: string;
  serial: number;
  nodes: Record<string, number>;
  limits: Record<string, number>;
  features: string[];
  startsAt: number;
  expiresAt: number;
  warnDays: number;
  graceDays: number;
  status: 'active' | 'suspended' | 'ended';
  mode: 'online' | 'offline';
  lmid: string | null;
  /** The online key with every group but the last hidden; key() gives it in full. */
  onlineKeyMasked: string;
  createdAt: number;
  updatedAt: number;
}

export interface LicenseInputOfStaff {
  customerId: string;
  productId: string;
  nodes: Record<string, number>;
  limits?: Record<string, number>;
  features?: string[];
  startsAt: number;
  expiresAt: number;
  mode?: 'online' | 'offline';
}

export type Scope = { customerId: string | null };

type LicenseRow = Selectable<LicensesTable>;
type Change = { kind: string; set: Partial<LicenseRow>; detail: Record<string, unknown> };

const NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const MAX_COUNT = 1_000_000;
const DEFAULT_WARN_DAYS = 30;
const DEFAULT_GRACE_DAYS = 14;

export class Licenses {
  private readonly db: Kysely<Database>;
  private readonly keys: SigningKeys;
  private readonly audit: AuditLog;
  private readonly masterKey: Uint8Array;
  private readonly clock: { now(): number };
  private readonly postgres: boolean;

  constructor(options: { db: Kysely<Database>; keys: SigningKeys; audit: AuditLog; masterKey: Uint8Array; clock: { now(): number } }) {
    this.db = options.db;
    this.keys = options.keys;
    this.audit = options.audit;
    this.masterKey = options.masterKey;
    this.clock = options.clock;
    this.postgres = options.db.getExecutor().adapter instanceof PostgresAdapter;
  }

  async createProduct(
    input: { slug: string; name: string; roles: string[]; limits: string[]; features: string[] },
    actor: string,
  ): Promise<Result<ProductView>> {
    const problem =
      (NAME.test(input.slug) ? null : 'The product slug must be a name: a lower-case letter, then letters, digits, - or _ (at most 32).') ??
      textProblem(input.name, 'The product name') ??
      namesProblem(input.roles, 'roles', true) ??
      namesProblem(input.limits, 'limits', false) ??
      namesProblem(input.features, 'features', false);
    if (problem) return fail('BAD_REQUEST', problem);
    const product: ProductView = {
      id: newId('prd_'),
      slug: input.slug,
      name: input.name.trim(),
      roles: [...input.roles],
      limits: [...input.limits],
      features: [...input.features],
      createdAt: this.clock.now(),
    };
    return this.db.transaction().execute(async (trx) => {
      const taken = await trx.selectFrom('products').select('id').where('slug', '=', product.slug).executeTakeFirst();
      if (taken) return fail('BAD_REQUEST', `A product with the slug "${product.slug}" already exists (${taken.id}).`);
      await trx
        .insertInto('products')
        .values({
          id: product.id,
          slug: product.slug,
          name: product.name,
          roles: JSON.stringify(product.roles),
          limits: JSON.stringify(product.limits),
          features: JSON.stringify(product.features),
          created_at: product.createdAt,
        })
        .execute();
      await this.audit.append({ actor, action: 'product.created', subject: product.id, data: { ...product } }, trx);
      return ok(product);
    });
  }

  async createCustomer(input: { name: string }, actor: string): Promise<Result<{ id: string; name: string }>> {
    const problem = textProblem(input.name, 'The customer name');
    if (problem) return fail('BAD_REQUEST', problem);
    const customer = { id: newId('cus_'), name: input.name.trim() };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('customers')
        .values({ ...customer, created_at: this.clock.now() })
        .execute();
      await this.audit.append({ actor, action: 'customer.created', subject: customer.id, data: { name: customer.name } }, trx);
    });
    return ok(customer);
  }

  /** Staff's sales flow: a license of a product's roles, limits and features for a term; serial 1, no LMID yet. */
  async createLicense(input: LicenseInputOfStaff, actor: string): Promise<Result<LicenseView>> {
    const product = await this.db.selectFrom('products').selectAll().where('id', '=', input.productId).executeTakeFirst();
    if (!product) return fail('NOT_FOUND', `There is no product ${input.productId}.`);
    const customer = await this.db.selectFrom('customers').select('id').where('id', '=', input.customerId).executeTakeFirst();
    if (!customer) return fail('NOT_FOUND', `There is no customer ${input.customerId}.`);
    const roles = JSON.parse(product.roles) as string[];
    const limits = input.limits ?? {};
    const features = input.features ?? [];
    const problem =
      countsProblem(input.nodes, 'nodes', roles, `roles of ${product.slug}`, true) ??
      countsProblem(limits, 'limits', JSON.parse(product.limits) as string[], `limits of ${product.slug}`, false) ??
      featuresProblem(features, JSON.parse(product.features) as string[], product.slug) ??
      termProblem(input.startsAt, input.expiresAt) ??
      (input.mode === undefined || input.mode === 'online' || input.mode === 'offline' ? null : 'mode must be online or offline.');
    if (problem) return fail('BAD_REQUEST', problem);
    const now = this.clock.now();
    const id = newId('lic_');
    const row: LicenseRow = {
      id,
      customer_id: input.customerId,
      contract_id: null,
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
      mode: input.mode ?? 'offline',
      lmid: null,
      online_key_hash: onlineKeyHash(onlineKeyFor(this.masterKey, id)),
      signed_text: null,
      signed_serial: null,
      created_at: now,
      updated_at: now,
    };
    const detail = { product: product.slug, nodes: input.nodes, limits, features, startsAt: input.startsAt, expiresAt: input.expiresAt };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('licenses').values(row).execute();
      await this.record(trx, row, 'created', actor, detail);
    });
    return ok(this.viewOf(row));
  }

  /** Binds the license to an LMID. Customers bind once; only the vendor (scope without a customer) rebinds. */
  async bindLmid(licenseId: string, lmid: string, scope: Scope, actor: string): Promise<Result<LicenseView>> {
    const parsed = parseLmid(lmid);
    if (!parsed.ok) return parsed;
    return this.change(licenseId, scope, actor, (row) => {
      if (row.lmid === parsed.value) return ok(null);
      if (row.lmid !== null && scope.customerId !== null) {
        return fail(
          'BAD_REQUEST',
          `License ${row.id} is already bound to License Manager ${row.lmid}; ask the vendor to rebind it to ${parsed.value}.`,
        );
      }
      const kind = row.lmid === null ? 'bound' : 'rebound';
      return ok({ kind, set: { lmid: parsed.value }, detail: { lmid: parsed.value, previous: row.lmid } });
    });
  }

  async setMode(licenseId: string, mode: 'online' | 'offline', scope: Scope, actor: string): Promise<Result<LicenseView>> {
    if (mode !== 'online' && mode !== 'offline') return fail('BAD_REQUEST', 'mode must be online or offline.');
    return this.change(licenseId, scope, actor, (row) =>
      ok(row.mode === mode ? null : { kind: 'mode', set: { mode }, detail: { mode, previous: row.mode } }),
    );
  }

  /** Extends the term by whole calendar months from the current expiry. */
  async renew(licenseId: string, months: 1 | 12, actor: string): Promise<Result<LicenseView>> {
    if (months !== 1 && months !== 12) return fail('BAD_REQUEST', 'A renewal is for 1 or 12 months.');
    return this.change(licenseId, { customerId: null }, actor, (row) => {
      const expiresAt = addMonths(row.expires_at, months);
      return ok({ kind: 'renewed', set: { expires_at: expiresAt }, detail: { months, expiresAt, previous: row.expires_at } });
    });
  }

  /** Adds seats per role (roles of the license's product). */
  async expand(licenseId: string, addNodes: Record<string, number>, actor: string): Promise<Result<LicenseView>> {
    return this.change(licenseId, { customerId: null }, actor, async (row, trx) => {
      const product = await trx.selectFrom('products').select(['slug', 'roles']).where('id', '=', row.product_id).executeTakeFirstOrThrow();
      const problem = countsProblem(addNodes, 'nodes to add', JSON.parse(product.roles) as string[], `roles of ${product.slug}`, true);
      if (problem) return fail('BAD_REQUEST', problem);
      if (Object.values(addNodes).some((n) => n < 1))
        return fail('BAD_REQUEST', 'An expansion adds at least one node to each role it names.');
      const nodes = JSON.parse(row.nodes) as Record<string, number>;
      for (const [role, count] of Object.entries(addNodes)) nodes[role] = (nodes[role] ?? 0) + count;
      if (Object.values(nodes).some((n) => n > MAX_COUNT)) return fail('BAD_REQUEST', `A role can have at most ${MAX_COUNT} nodes.`);
      return ok({ kind: 'expanded', set: { nodes: JSON.stringify(nodes) }, detail: { added: addNodes, nodes } });
    });
  }

  async get(licenseId: string, scope: Scope): Promise<Result<LicenseView>> {
    const row = await this.find(this.db, licenseId, scope, false);
    return row ? ok(this.viewOf(row)) : notFound(licenseId);
  }

  /** The key a customer copies: the online key, or for offline mode the signed license bound to its LMID. */
  async key(licenseId: string, scope: Scope): Promise<Result<{ mode: 'online' | 'offline'; key: string }>> {
    const row = await this.find(this.db, licenseId, scope, false);
    if (!row) return notFound(licenseId);
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
    if (row.signed_serial === row.serial && row.signed_text !== null) return row.signed_text;
    if (row.lmid === null) return null;
    const meta = await this.db
      .selectFrom(['customers', 'products'])
      .select(['customers.name as customerName', 'products.slug as product'])
      .where('customers.id', '=', row.customer_id)
      .where('products.id', '=', row.product_id)
      .executeTakeFirstOrThrow();
    const signed = issueLicense(
      {
        id: row.id,
        serial: row.serial,
        product: meta.product,
        customer: { id: row.customer_id, name: meta.customerName },
        nodes: JSON.parse(row.nodes) as Record<string, number>,
        limits: JSON.parse(row.limits) as Record<string, number>,
        features: JSON.parse(row.features) as string[],
        // The time of the change that made this serial: another instance signing the same serial writes the same text.
        issuedAt: new Date(row.updated_at).toISOString(),
        startsAt: new Date(row.starts_at).toISOString(),
        expiresAt: new Date(row.expires_at).toISOString(),
        warnDays: row.warn_days,
        graceDays: row.grace_days,
        mode: row.mode,
        lmid: row.lmid,
      },
      await this.keys.active(),
    );
    if (!signed.ok) throw new Error(`License ${row.id} serial ${row.serial} cannot be signed: ${signed.detail}`);
    // Only for the serial that was read: a change committed meanwhile keeps its own (newer) text.
    await this.db
      .updateTable('licenses')
      .set({ signed_text: signed.value, signed_serial: row.serial })
      .where('id', '=', row.id)
      .where('serial', '=', row.serial)
      .execute();
    return signed.value;
  }

  /** Reads the license (locked on PostgreSQL), applies one change, raises the serial, records it; one transaction. */
  private async change(
    licenseId: string,
    scope: Scope,
    actor: string,
    decide: (row: LicenseRow, trx: Transaction<Database>) => Result<Change | null> | Promise<Result<Change | null>>,
  ): Promise<Result<LicenseView>> {
    return this.db.transaction().execute(async (trx) => {
      const row = await this.find(trx, licenseId, scope, true);
      if (!row) return notFound(licenseId);
      const decided = await decide(row, trx);
      if (!decided.ok) return decided;
      if (decided.value === null) return ok(this.viewOf(row));
      const { kind, set, detail } = decided.value;
      const updated: LicenseRow = { ...row, ...set, serial: row.serial + 1, updated_at: this.clock.now() };
      await trx
        .updateTable('licenses')
        .set({ ...set, serial: updated.serial, updated_at: updated.updated_at })
        .where('id', '=', row.id)
        .execute();
      await this.record(trx, updated, kind, actor, detail);
      return ok(this.viewOf(updated));
    });
  }

  private async find(db: Kysely<Database>, licenseId: string, scope: Scope, lock: boolean): Promise<LicenseRow | undefined> {
    let query = db.selectFrom('licenses').selectAll().where('id', '=', licenseId);
    if (scope.customerId !== null) query = query.where('customer_id', '=', scope.customerId);
    // SQLite has no FOR UPDATE; its transactions are serialised by the database's single write lock.
    if (lock && this.postgres) query = query.forUpdate();
    return query.executeTakeFirst();
  }

  private async record(trx: Transaction<Database>, row: LicenseRow, kind: string, actor: string, detail: Record<string, unknown>) {
    await trx
      .insertInto('license_changes')
      .values({ license_id: row.id, at: row.updated_at, kind, serial: row.serial, actor, detail: JSON.stringify(detail) })
      .execute();
    await this.audit.append({ actor, action: `license.${kind}`, subject: row.id, data: { serial: row.serial, ...detail } }, trx);
  }

  private viewOf(row: LicenseRow): LicenseView {
    return {
      id: row.id,
      customerId: row.customer_id,
      productId: row.product_id,
      serial: row.serial,
      nodes: JSON.parse(row.nodes) as Record<string, number>,
      limits: JSON.parse(row.limits) as Record<string, number>,
      features: JSON.parse(row.features) as string[],
      startsAt: row.starts_at,
      expiresAt: row.expires_at,
      warnDays: row.warn_days,
      graceDays: row.grace_days,
      status: row.status,
      mode: row.mode,
      lmid: row.lmid,
      onlineKeyMasked: maskOnlineKey(onlineKeyFor(this.masterKey, row.id)),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}

function notFound(licenseId: string) {
  return fail('NOT_FOUND', `There is no license ${licenseId}.`);
}

/** Calendar months in UTC, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(at: number, months: number): number {
  const date = new Date(at);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, last));
  return date.getTime();
}

function textProblem(value: unknown, what: string): string | null {
  if (typeof value !== 'string' || value.trim() === '') return `${what} is required.`;
  // eslint-disable-next-line no-control-regex
  if (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value))
    return `${what} must be at most 200 characters, without control characters.`;
  return null;
}

function namesProblem(value: unknown, what: string, required: boolean): string | null {
  if (!Array.isArray(value) || value.length > 64) return `${what} must be a list of at most 64 names.`;
  if (required && value.length === 0) return `${what} must name at least one.`;
  for (const name of value) {
    if (typeof name !== 'string' || !NAME.test(name))
      return `${what}: "${String(name)}" is not a name (a lower-case letter, then letters, digits, - or _).`;
  }
  return new Set(value).size === value.length ? null : `${what} lists a name twice.`;
}

function countsProblem(value: unknown, what: string, allowed: string[], allowedWhat: string, required: boolean): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${what} must be an object of names to numbers.`;
  const entries = Object.entries(value);
  if (required && entries.length === 0) return `${what} must name at least one role.`;
  for (const [name, count] of entries) {
    if (!allowed.includes(name)) return `${what}: "${name}" is not one of the ${allowedWhat} (${allowed.join(', ') || 'none'}).`;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
      return `${what}: "${name}" must be a whole number from 0 to ${MAX_COUNT}.`;
    }
  }
  return null;
}

function featuresProblem(value: unknown, allowed: string[], product: string): string | null {
  if (!Array.isArray(value)) return 'features must be a list of names.';
  for (const feature of value) {
    if (typeof feature !== 'string' || !allowed.includes(feature)) {
      return `features: "${String(feature)}" is not a feature of ${product} (${allowed.join(', ') || 'none'}).`;
    }
  }
  return new Set(value).size === value.length ? null : 'features lists a name twice.';
}

function termProblem(startsAt: unknown, expiresAt: unknown): string | null {
  if (!Number.isSafeInteger(startsAt) || !Number.isSafeInteger(expiresAt))
    return 'startsAt and expiresAt must be times in epoch milliseconds.';
  return (expiresAt as number) > (startsAt as number) ? null : 'expiresAt must be after startsAt.';
}
