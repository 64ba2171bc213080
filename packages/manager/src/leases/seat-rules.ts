/**
 * The seat rules both seat engines apply (Seats for one License Manager, SharedSeats for replicas sharing a
 * database), with their sentences, so a node hears the same refusal whichever engine answers.
 */
import type { Code, License, RoleUsage } from '@tessera/core';
import type { StoredLease } from '../state/store.js';
import type { Verdict } from '../services/license.js';

export interface CheckoutInput {
  product: string;
  role: string;
  nodeId: string;
  /** The SDK connection's random id: the process that will hold the seat. */
  instance: string;
  host?: string | undefined;
}

export interface HeartbeatInput {
  leaseId: string;
  instance: string;
}

export type SeatOutcome<T> = ({ ok: true } & T) | { ok: false; code: Code; detail: string };
export type Refusal = { code: Code; detail: string };
type Awaitable<T> = T | Promise<T>;

/** What the HTTP layer and the daemon ask of a seat engine. */
export interface SeatService {
  /** Grants or refuses a seat; a granted seat is answered after `committed` resolves. */
  checkout(input: CheckoutInput): Awaitable<SeatOutcome<{ lease: StoredLease; token: string; verdict: Verdict; committed: Promise<void> }>>;
  heartbeat(input: HeartbeatInput): Awaitable<SeatOutcome<{ lease: StoredLease; token: string; verdict: Verdict }>>;
  release(input: HeartbeatInput): Awaitable<boolean>;
  usage(): Awaitable<Record<string, RoleUsage>>;
  usedCounts(): Awaitable<Record<string, number>>;
  leases(): Awaitable<StoredLease[]>;
  /** Leases held, for the metrics (the shared engine's count is at most a few seconds old). */
  readonly activeCount: number;
  sweep(): Awaitable<number>;
  flushRenewals(): Awaitable<void>;
  flush(): Awaitable<void>;
}

/** Why no seat is granted under this verdict for this product, or null. */
export function licenseRefusal(verdict: Verdict, license: License | null, product: string): Refusal | null {
  if (!verdict.valid) {
    const detail =
      verdict.status === 'NotExist' || verdict.status === 'Syncing'
        ? `No license is in force (${verdict.status}). ${verdict.detail}`
        : verdict.detail;
    return { code: verdict.code, detail };
  }
  if (product !== license!.product) {
    return { code: 'PRODUCT_MISMATCH', detail: `This License Manager holds a license for ${license!.product}, not for ${product}.` };
  }
  return null;
}

/** A role the license does not grant: at checkout, or at a renewal after a new license dropped it. */
export function roleNotLicensed(license: License, role: string, renewal: boolean): Refusal {
  const roles = Object.keys(license.nodes).join(', ');
  const grants = renewal ? `no longer grants "${role}" nodes` : `grants no "${role}" nodes`;
  return { code: 'ROLE_NOT_LICENSED', detail: `The license ${grants}; it grants: ${roles}.` };
}

export function roleFull(role: string, limit: number): Refusal {
  return {
    code: 'TOO_MANY_NODES',
    detail: `All ${limit} "${role}" seats are taken. Stop another ${role} node or add nodes to the license.`,
  };
}

export function seatNotRenewed(role: string, limit: number, older: number): Refusal {
  return {
    code: 'TOO_MANY_NODES',
    detail: `The license now grants ${limit} "${role}" seats and ${older} older nodes hold them; this node's seat is not renewed.`,
  };
}

export const LEASE_UNKNOWN: Refusal = {
  code: 'LEASE_NOT_FOUND',
  detail: 'This seat lease is unknown or has run out. Check out a seat again.',
};

/** The sentence for a checkout of a node id whose seat another live process holds. */
export function inUse(lease: StoredLease): string {
  const where = [lease.host ? `host ${lease.host}` : '', `since ${new Date(lease.since).toISOString()}`].filter(Boolean).join(', ');
  return (
    `Another process already runs as ${lease.product} ${lease.role} node "${lease.nodeId}" (${where}). ` +
    `Stop it or give this one another node id; if that process was killed, its seat is free at ${new Date(lease.expiresAt).toISOString()}.`
  );
}

/** Seats per role of the license, from the live leases counted per role. */
export function usageOf(license: License | null, used: (role: string) => number): Record<string, RoleUsage> {
  const roles: Record<string, RoleUsage> = {};
  for (const [role, total] of Object.entries(license?.nodes ?? {})) {
    const count = used(role);
    roles[role] = { total, used: count, free: Math.max(0, total - count) };
  }
  return roles;
}
