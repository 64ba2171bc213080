/** The services the HTTP layer and the daemon share, built once at start-up. */
import type { RefusalCounter } from '../http/metrics.js';
import type { LmIdentity } from '../identity.js';
import type { Seats } from '../leases/seats.js';
import type { LicenseService } from './license.js';
import type { TrustService } from './trust.js';
import type { InfoResponse, UsageResponse } from '../http/api-types.js';
import { LM_VERSION } from '../version.js';

export interface LmCounters {
  refusals: RefusalCounter;
  syncFailures: number;
  syncSuccesses: number;
}

export interface LmServices {
  name: string;
  identity: LmIdentity;
  trust: TrustService;
  license: LicenseService;
  seats: Seats;
  /** Who may use the seat API: the shared secret products send (null: anyone who can reach the LM), and the checkout budget. */
  seatAccess: { secret: string | null; checkoutsPerMinute: number };
  ttlMs: number;
  adminToken: string;
  counters: LmCounters;
  startedAt: number;
  requestCodeEnabled: boolean;
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export function infoView(services: LmServices): InfoResponse {
  const verdict = services.license.verdict();
  const license = services.license.current;
  const stored = services.license.storedLicense;
  return {
    name: services.name,
    version: LM_VERSION,
    lmid: services.identity.lmid,
    status: verdict.status,
    code: verdict.code,
    detail: verdict.detail,
    licenseKey: services.license.keyLabel(),
    licenseId: license?.id ?? null,
    serial: license?.serial ?? null,
    product: license?.product ?? null,
    customer: license?.customer.name ?? null,
    type: license ? 'NODE' : null,
    mode: stored ? stored.source : null,
    nodes: services.seats.usage(),
    limits: { ...(license?.limits ?? {}) },
    features: [...(license?.features ?? [])],
    startsAt: license?.startsAt ?? null,
    expiresAt: license?.expiresAt ?? null,
    daysLeft: verdict.daysLeft,
    lastSync: stored?.source === 'online' ? { at: iso(stored.lastSyncAt), ok: stored.lastSyncOk, error: stored.lastSyncError } : null,
  };
}

export function usageView(services: LmServices): UsageResponse {
  return {
    status: services.license.verdict().status,
    roles: services.seats.usage(),
    leases: services.seats.leases().map((lease) => ({
      product: lease.product,
      role: lease.role,
      nodeId: lease.nodeId,
      host: lease.host,
      since: new Date(lease.since).toISOString(),
      expiresAt: new Date(lease.expiresAt).toISOString(),
    })),
  };
}
