/** The services the HTTP layer and the daemon share, built once at start-up. */
import type { RefusalCounter } from '../http/metrics.js';
import type { LmIdentity } from '../identity.js';
import type { SeatService } from '../leases/seat-rules.js';
import type { ReplicaView } from '../ha/replicas.js';
import type { LicenseService } from './license.js';
import type { TrustService } from './trust.js';
import { encodeBase64Url, signLmAnswer } from '@tessera/core';
import type { InfoResponse, LicenseResponse, UsageResponse } from '@tessera/core';
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
  seats: SeatService;
  /** Who may use the seat API: the shared secret products send (null: anyone who can reach the LM), and the checkout budget. */
  seatAccess: { secret: string | null; checkoutsPerMinute: number };
  ttlMs: number;
  adminToken: string;
  counters: LmCounters;
  startedAt: number;
  requestCodeEnabled: boolean;
  /** The vendor as the configuration names it, for the console (display only). */
  vendor?: { name: string | null; supportEmail: string | null };
  /** Replicas sharing a database: the replicas as this one last read them; null for one License Manager. */
  replicas: (() => ReplicaView[]) | null;
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export async function infoView(services: LmServices): Promise<InfoResponse> {
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
    nodes: await services.seats.usage(),
    limits: { ...(license?.limits ?? {}) },
    features: [...(license?.features ?? [])],
    startsAt: license?.startsAt ?? null,
    expiresAt: license?.expiresAt ?? null,
    daysLeft: verdict.daysLeft,
    lastSync: stored?.source === 'online' ? { at: iso(stored.lastSyncAt), ok: stored.lastSyncOk, error: stored.lastSyncError } : null,
    replicas: services.replicas?.() ?? null,
  };
}

export async function usageView(services: LmServices): Promise<UsageResponse> {
  const leases = await services.seats.leases();
  return {
    status: services.license.verdict().status,
    roles: await services.seats.usage(),
    leases: leases.map((lease) => ({
      product: lease.product,
      role: lease.role,
      nodeId: lease.nodeId,
      host: lease.host,
      since: new Date(lease.since).toISOString(),
      expiresAt: new Date(lease.expiresAt).toISOString(),
    })),
  };
}

/** GET /v1/license: the license and trust the SDK decides on, and with a nonce the answer signed with the identity key. */
export function licenseView(services: LmServices, nonce: string | null, now: number): LicenseResponse {
  const verdict = services.license.verdict();
  const license = services.license.current;
  const bundle = services.trust.signedBundle;
  const { identity } = services;
  const answer =
    nonce === null
      ? null
      : signLmAnswer(
          {
            nonce,
            lmid: identity.lmid,
            license: license ? { id: license.id, serial: license.serial } : null,
            bundleSerial: bundle?.serial ?? null,
            lmTime: new Date(now).toISOString(),
            highWater: iso(services.license.highWaterTime),
          },
          identity,
        );
  return {
    lmid: identity.lmid,
    lmPublicKey: encodeBase64Url(identity.publicKeyRaw),
    hostDigest: encodeBase64Url(identity.hostDigest),
    status: verdict.status,
    code: verdict.code,
    detail: verdict.detail,
    license: license?.key ?? null,
    trust: bundle?.text ?? null,
    answer,
  };
}
