/** What services return for products and licenses: plain data with parsed JSON and the online key masked. */
import type { Selectable } from 'kysely';
import { maskOnlineKey } from '@tessera/core';
import type { LicensesTable } from '../db/schema.js';
import { onlineKeyFor } from './online-keys.js';

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

export function licenseViewOf(row: Selectable<LicensesTable>, masterKey: Uint8Array): LicenseView {
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
    onlineKeyMasked: maskOnlineKey(onlineKeyFor(masterKey, row.id)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
