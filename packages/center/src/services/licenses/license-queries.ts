/**
 * What the portal reads about licenses: a customer's license cards (the home page) and one license's details
 * page. Read-only. The card list is one indexed query per page (licenses_customer, keyset on created_at and id,
 * products joined), so it costs the same for the first page of a customer with 3 licenses as for the last page of
 * one with 100,000: no OFFSET, no count.
 */
import type { Kysely } from 'kysely';
import { fail, maskOnlineKey, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import { effectiveOutageGrace, licenseState } from './license-rules.js';
import type { LicenseState } from './license-rules.js';
import { onlineKeyFor } from './online-keys.js';
import { customerHistoryEntry } from './license-views.js';
import type { LicenseHistoryEntry } from './license-views.js';

export interface LicenseCard {
  id: string;
  product: { slug: string; name: string };
  lmid: string | null;
  status: LicenseState;
  startsAt: number;
  expiresAt: number;
  mode: 'online' | 'offline';
  nodes: Record<string, number>;
  /** Named limits of the product granted, and the features. */
  limits: Record<string, number>;
  features: string[];
  /** The subscription (contract) the license belongs to, if any. */
  contractId: string | null;
}

export interface LicenseCardPage {
  items: LicenseCard[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface LicenseDetails {
  basic: {
    id: string;
    /** Whose license: staff pages name the customer (a customer sees its own). */
    customer: { id: string; name: string };
    lmid: string | null;
    type: 'NODE';
    serial: number;
    startsAt: number;
    expiresAt: number;
    status: LicenseState;
  };
  resources: {
    product: { id: string; slug: string; name: string };
    nodes: Record<string, number>;
    limits: Record<string, number>;
    features: string[];
    /** The outage grace signed in the license (hours; 0 strict): its own, or its product's. */
    outageGraceHours: number;
    /** The license's own outage grace; null follows the product's. */
    outageGraceOverride: number | null;
  };
  key: {
    mode: 'online' | 'offline';
    onlineKeyMasked: string;
    /** Whether an offline key (the signed license) can be copied now: offline mode and an LMID bound. */
    offlineKeyAvailable: boolean;
    /** Why not, as a sentence; null when available. */
    offlineKeyNote: string | null;
  };
  subscription: {
    id: string;
    source: 'marketplace' | 'sales';
    term: '1m' | '1y';
    autoRenew: boolean;
    startsAt: number;
    endsAt: number;
    status: 'active' | 'ending' | 'ended';
    externalId: string | null;
  } | null;
  usage: {
    lmid: string;
    usage: Record<string, number>;
    lmVersion: string;
    host: { hostname: string; os: string };
    reportedAt: number;
  } | null;
  /** Newest first, at most HISTORY_LIMIT; as the customer sees it on their routes (license-views.ts). */
  history: LicenseHistoryEntry[];
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
export const HISTORY_LIMIT = 50;

export class LicenseQueries {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly masterKey: Uint8Array;

  constructor(options: { db: Kysely<Database>; clock: Clock; masterKey: Uint8Array }) {
    this.db = options.db;
    this.clock = options.clock;
    this.masterKey = options.masterKey;
  }

  /** A customer's license cards, newest first, `limit` per page. */
  async listForCustomer(customerId: string, options: { limit?: number; cursor?: string } = {}): Promise<Result<LicenseCardPage>> {
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      return fail('BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
    }
    let after: Cursor | null = null;
    if (options.cursor !== undefined) {
      after = decodeCursor(options.cursor);
      if (!after) return fail('BAD_REQUEST', 'The cursor is not one this list gave out; start again from the first page.');
    }
    const rows = await cardsQuery(this.db, customerId, limit + 1, after).execute();
    const now = this.clock.now();
    const items = rows.slice(0, limit).map((row): LicenseCard => ({
      id: row.id,
      product: { slug: row.productSlug, name: row.productName },
      lmid: row.lmid,
      status: licenseState(row, now),
      startsAt: Number(row.starts_at),
      expiresAt: Number(row.expires_at),
      mode: row.mode,
      nodes: JSON.parse(row.nodes) as Record<string, number>,
      limits: JSON.parse(row.limits) as Record<string, number>,
      features: JSON.parse(row.features) as string[],
      contractId: row.contract_id,
    }));
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return ok({ items, nextCursor: last ? encodeCursor({ createdAt: Number(last.created_at), id: last.id }) : null });
  }

  /**
   * The details page: for staff with `customerId` null, for a customer with theirs. A license of another customer
   * is NOT_FOUND, as one that does not exist.
   */
  async details(licenseId: string, scope: { customerId: string | null }): Promise<Result<LicenseDetails>> {
    const row = await detailsQuery(this.db, licenseId, scope.customerId).executeTakeFirst();
    if (!row) return fail('NOT_FOUND', `There is no license ${licenseId}.`);
    const history = await this.db
      .selectFrom('license_changes')
      .select(['at', 'kind', 'serial', 'actor', 'detail'])
      .where('license_id', '=', row.id)
      .orderBy('id', 'desc')
      .limit(HISTORY_LIMIT)
      .execute();
    const offlineKeyNote =
      row.mode !== 'offline'
        ? 'The license is in online mode: its License Manager syncs with the online key. Switch to offline mode for an offline key.'
        : row.lmid === null
          ? 'Bind the License Manager (its LMID) first: an offline key is made for one License Manager.'
          : null;
    return ok({
      basic: {
        id: row.id,
        customer: { id: row.customer_id, name: row.customerName },
        lmid: row.lmid,
        type: 'NODE',
        serial: row.serial,
        startsAt: Number(row.starts_at),
        expiresAt: Number(row.expires_at),
        status: licenseState(row, this.clock.now()),
      },
      resources: {
        product: { id: row.product_id, slug: row.productSlug, name: row.productName },
        nodes: JSON.parse(row.nodes) as Record<string, number>,
        limits: JSON.parse(row.limits) as Record<string, number>,
        features: JSON.parse(row.features) as string[],
        outageGraceHours: effectiveOutageGrace(row.outage_grace_hours, row.productGraceHours),
        outageGraceOverride: row.outage_grace_hours,
      },
      key: {
        mode: row.mode,
        onlineKeyMasked: maskOnlineKey(onlineKeyFor(this.masterKey, row.id)),
        offlineKeyAvailable: offlineKeyNote === null,
        offlineKeyNote,
      },
      subscription:
        row.contractId === null
          ? null
          : {
              id: row.contractId,
              source: row.contractSource!,
              term: row.contractTerm!,
              autoRenew: Number(row.contractAutoRenew) === 1,
              startsAt: Number(row.contractStartsAt),
              endsAt: Number(row.contractEndsAt),
              status: row.contractStatus!,
              externalId: row.contractExternalId,
            },
      usage:
        row.usage === null
          ? null
          : {
              lmid: row.usageLmid!,
              usage: JSON.parse(row.usage) as Record<string, number>,
              lmVersion: row.usageLmVersion!,
              host: JSON.parse(row.usageHost!) as { hostname: string; os: string },
              reportedAt: Number(row.usageReportedAt),
            },
      history: await this.historyFor(history, scope.customerId),
    });
  }

  /** History rows as staff see them, or as the customer does (no staff ids, no internal reasons). */
  private async historyFor(
    rows: { at: number; kind: string; serial: number; actor: string; detail: string }[],
    customerId: string | null,
  ): Promise<LicenseHistoryEntry[]> {
    const entries = rows.map((h): LicenseHistoryEntry => {
      const { changes, ...detail } = JSON.parse(h.detail) as Record<string, unknown>;
      const words = Array.isArray(changes) ? changes.filter((w): w is string => typeof w === 'string') : [];
      return { at: Number(h.at), kind: h.kind, serial: h.serial, actor: h.actor, changes: words, detail };
    });
    if (customerId === null) return entries;
    const actors = [...new Set(entries.map((e) => e.actor))].filter((a) => a.startsWith('usr_'));
    const own =
      actors.length === 0
        ? []
        : await this.db.selectFrom('users').select('id').where('id', 'in', actors).where('customer_id', '=', customerId).execute();
    const ownUsers = new Set(own.map((u) => u.id));
    return entries.map((entry) => customerHistoryEntry(entry, ownUsers));
  }
}

/** One license with its product, subscription and last usage report: one row, each join by primary key. */
function detailsQuery(db: Kysely<Database>, licenseId: string, customerId: string | null) {
  let query = db
    .selectFrom('licenses')
    .innerJoin('products', 'products.id', 'licenses.product_id')
    .innerJoin('customers', 'customers.id', 'licenses.customer_id')
    .leftJoin('contracts', 'contracts.id', 'licenses.contract_id')
    .leftJoin('usage_reports', 'usage_reports.license_id', 'licenses.id')
    .selectAll('licenses')
    .select([
      'customers.name as customerName',
      'products.slug as productSlug',
      'products.name as productName',
      'products.outage_grace_hours as productGraceHours',
      'contracts.id as contractId',
      'contracts.source as contractSource',
      'contracts.term as contractTerm',
      'contracts.auto_renew as contractAutoRenew',
      'contracts.starts_at as contractStartsAt',
      'contracts.ends_at as contractEndsAt',
      'contracts.status as contractStatus',
      'contracts.external_id as contractExternalId',
      'usage_reports.lmid as usageLmid',
      'usage_reports.usage as usage',
      'usage_reports.lm_version as usageLmVersion',
      'usage_reports.host as usageHost',
      'usage_reports.reported_at as usageReportedAt',
    ])
    .where('licenses.id', '=', licenseId);
  if (customerId !== null) query = query.where('licenses.customer_id', '=', customerId);
  return query;
}

interface Cursor {
  createdAt: number;
  id: string;
}

/**
 * One page of cards: licenses_customer gives (customer_id, created_at, id) in order, so the database walks the
 * index backwards from the cursor and stops after `take` rows; each product is a primary-key lookup.
 * Exported for the test that reads its query plan.
 */
export function cardsQuery(db: Kysely<Database>, customerId: string, take: number, after: Cursor | null) {
  let query = db
    .selectFrom('licenses')
    .innerJoin('products', 'products.id', 'licenses.product_id')
    .select([
      'licenses.id',
      'licenses.lmid',
      'licenses.status',
      'licenses.starts_at',
      'licenses.expires_at',
      'licenses.warn_days',
      'licenses.grace_days',
      'licenses.mode',
      'licenses.nodes',
      'licenses.limits',
      'licenses.features',
      'licenses.contract_id',
      'licenses.created_at',
      'products.slug as productSlug',
      'products.name as productName',
    ])
    .where('licenses.customer_id', '=', customerId);
  if (after) {
    // Row-value comparison: both dialects turn it into one index range, where an OR of two conditions may not.
    query = query.where((eb) => eb(eb.refTuple('licenses.created_at', 'licenses.id'), '<', eb.tuple(after.createdAt, after.id)));
  }
  return query.orderBy('licenses.created_at', 'desc').orderBy('licenses.id', 'desc').limit(take);
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt}:${cursor.id}`, 'utf8').toString('base64url');
}

function decodeCursor(text: string): Cursor | null {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const match = /^(\d{1,16}):(lic_[A-Za-z0-9]{1,64})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) return null;
  const createdAt = Number(match[1]);
  return Number.isSafeInteger(createdAt) ? { createdAt, id: match[2]! } : null;
}
