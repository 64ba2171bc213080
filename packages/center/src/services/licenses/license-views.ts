/** What services return for products and licenses: plain data with parsed JSON and the online key masked. */
import type { Selectable } from 'kysely';
import { maskOnlineKey } from '@tessera/core';
import type { LicensesTable } from '../../db/schema.js';
import { effectiveOutageGrace } from './license-rules.js';
import { onlineKeyFor } from './online-keys.js';

export interface ProductView {
  id: string;
  slug: string;
  name: string;
  roles: string[];
  limits: string[];
  features: string[];
  /** The outage grace of its licenses that have none of their own, in hours (0: strict). */
  outageGraceHours: number;
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
  /** The outage grace the license is signed with, in hours: its own, or else its product's (0: strict). */
  outageGraceHours: number;
  /** The license's own outage grace; null follows the product's. */
  outageGraceOverride: number | null;
  /** The online key with every group but the last hidden; key() gives it in full. */
  onlineKeyMasked: string;
  createdAt: number;
  updatedAt: number;
}

/** The view of a license row; `productGraceHours` is its product's outage grace (the row holds only its own). */
export function licenseViewOf(row: Selectable<LicensesTable>, productGraceHours: number, masterKey: Uint8Array): LicenseView {
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
    outageGraceHours: effectiveOutageGrace(row.outage_grace_hours, productGraceHours),
    outageGraceOverride: row.outage_grace_hours,
    onlineKeyMasked: maskOnlineKey(onlineKeyFor(masterKey, row.id)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** One change in a license's history, newest first on the details page. */
export interface LicenseHistoryEntry {
  at: number;
  kind: string;
  serial: number;
  /** Staff see who (a user id, marketplace:aws, job:…); customers see customer, vendor, marketplace or system. */
  actor: string;
  detail: Record<string, unknown>;
}

/** The facts of a change a customer is shown; anything else (reasons staff gave, message ids, new fields) is staff's. */
const CUSTOMER_DETAIL = new Set([
  'lmid',
  'previous',
  'mode',
  'months',
  'expiresAt',
  'nodes',
  'added',
  'limits',
  'features',
  'status',
  'outageGraceHours',
]);

/**
 * A change as its customer sees it: who did it as a word, never a staff member's id, and only the facts of the
 * change, never the internal reason or note that came with it.
 */
export function customerHistoryEntry(entry: LicenseHistoryEntry, ownUsers: ReadonlySet<string>): LicenseHistoryEntry {
  const actor = ownUsers.has(entry.actor)
    ? 'customer'
    : entry.actor.startsWith('marketplace:')
      ? 'marketplace'
      : entry.actor === 'system' || entry.actor.startsWith('job:')
        ? 'system'
        : 'vendor';
  const detail = Object.fromEntries(Object.entries(entry.detail).filter(([name]) => CUSTOMER_DETAIL.has(name)));
  return { at: entry.at, kind: entry.kind, serial: entry.serial, actor, detail };
}
