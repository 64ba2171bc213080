/** What the controller shows, as data: GET /api/status answers it and the status page renders it. */
import { ENFORCER_ROLE, FEATURES, PRODUCT, REMOTE_CLUSTERS_LIMIT } from '../index.js';
import type { LicenseState, LicenseView } from '../license-view.js';
import type { ClusterView, Clusters } from './clusters.js';
import type { EnforcerView, Enforcers } from './enforcers.js';

export type BannerTone = 'red' | 'amber';

export interface Banner {
  tone: BannerTone;
  status: string;
  code: string;
  /** The sentence for the banner: the License Manager's message and what it means for this product. */
  message: string;
}

export interface GuardStatus {
  product: string;
  license: {
    licensed: boolean;
    status: string;
    code: string;
    message: string;
    licenseId: string | null;
    serial: number | null;
    expiresAt: string | null;
    enforcerSeats: number;
    /** While Degraded: since when the License Manager is silent, and when the outage grace ends. */
    outage: { since: string; graceEndsAt: string } | null;
  };
  banner: Banner | null;
  managedNodes: number;
  enforcers: EnforcerView[];
  clusters: { joined: ClusterView[]; limit: number; limitName: string };
  features: Record<string, boolean>;
}

const WARNING_STATUSES = new Set(['Expiring', 'Grace']);

/**
 * Red when no enforcer may connect (missing, invalid, expired, unreachable); amber when expiring, in grace, or
 * Degraded (the License Manager is silent and guard runs on the license's outage grace).
 */
export function bannerFor(state: LicenseState): Banner | null {
  if (!state.licensed) {
    return {
      tone: 'red',
      status: state.status,
      code: state.code,
      message: `${state.message} No enforcer can connect, so the managed node count is 0 until a valid license is loaded at the License Manager.`,
    };
  }
  if (state.status === 'Degraded') {
    return {
      tone: 'amber',
      status: state.status,
      code: state.code,
      message: `${state.message} Connected enforcers keep enforcing until then; a new enforcer cannot connect until the License Manager answers.`,
    };
  }
  if (WARNING_STATUSES.has(state.status)) {
    const until = state.expiresAt ? ` The license expires (or expired) at ${state.expiresAt}.` : '';
    return { tone: 'amber', status: state.status, code: state.code, message: `${state.message}${until} Renew it with your vendor.` };
  }
  return null;
}

export function guardStatus(license: LicenseView, enforcers: Enforcers, clusters: Clusters): GuardStatus {
  const state = license.status();
  return {
    product: PRODUCT,
    license: {
      licensed: state.licensed,
      status: state.status,
      code: state.code,
      message: state.message,
      licenseId: state.licenseId,
      serial: state.serial,
      expiresAt: state.expiresAt,
      enforcerSeats: state.licensed ? (state.nodes[ENFORCER_ROLE] ?? 0) : 0,
      outage: state.outage,
    },
    banner: bannerFor(state),
    managedNodes: enforcers.count,
    enforcers: enforcers.list(),
    clusters: { joined: clusters.list(), limit: license.limit(REMOTE_CLUSTERS_LIMIT), limitName: REMOTE_CLUSTERS_LIMIT },
    features: Object.fromEntries(FEATURES.map((feature) => [feature, license.isEnabled(feature)])),
  };
}
