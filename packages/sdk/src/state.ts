/** Building LicenseState values, telling which changes are worth a `change` event, and the sentences in them. */
import type { LicenseState, LicenseStatusName } from './types.js';
import type { LicenseFacts } from './verify.js';

export const USABLE: readonly string[] = ['Normal', 'Expiring', 'Grace'];

type FactFields = Pick<
  LicenseState,
  'licenseId' | 'serial' | 'expiresAt' | 'daysLeft' | 'features' | 'limits' | 'nodes' | 'outageGraceHours' | 'outage'
>;

/** The license's fields of a state (and no outage); daysLeft from the SDK's own evaluation. */
export function factFields(facts: LicenseFacts | null, daysLeft: number | null = null): FactFields {
  if (!facts) {
    return {
      licenseId: null,
      serial: null,
      expiresAt: null,
      daysLeft: null,
      features: [],
      limits: {},
      nodes: {},
      outageGraceHours: null,
      outage: null,
    };
  }
  return {
    licenseId: facts.licenseId,
    serial: facts.serial,
    expiresAt: facts.expiresAt,
    daysLeft,
    features: [...facts.features],
    limits: { ...facts.limits },
    nodes: { ...facts.nodes },
    outageGraceHours: facts.outageGraceHours,
    outage: null,
  };
}

/** The license's fields of a state kept as they were (shown, not granted), without an outage. */
export function keptFacts(previous: LicenseState | null): FactFields {
  if (!previous) return factFields(null);
  const { licenseId, serial, expiresAt, daysLeft, features, limits, nodes, outageGraceHours } = previous;
  return { licenseId, serial, expiresAt, daysLeft, features, limits, nodes, outageGraceHours, outage: null };
}

/** Refusals about seats, not the license: the license's own status stands. */
const SEAT_CODES: readonly string[] = ['TOO_MANY_NODES', 'ROLE_NOT_LICENSED', 'NODE_ID_IN_USE'];

/** The status to show for a refusal: the license's own status when the refusal is about seats, else from the code. */
export function statusOfRefusal(code: string, licenseStatus: LicenseStatusName | null): LicenseStatusName {
  if (licenseStatus !== null && (SEAT_CODES.includes(code) || !USABLE.includes(licenseStatus))) return licenseStatus;
  if (code === 'EXPIRED') return 'Expired';
  if (code === 'NO_LICENSE') return 'NotExist';
  if (code === 'LM_UNREACHABLE') return 'Unreachable';
  return 'Invalid';
}

export function copyState(state: LicenseState): LicenseState {
  return {
    ...state,
    features: [...state.features],
    limits: { ...state.limits },
    nodes: { ...state.nodes },
    seat: state.seat ? { ...state.seat } : null,
    outage: state.outage ? { ...state.outage } : null,
  };
}

/** True when a product should hear about it: status, code, licensed, features, limits, nodes or serial. */
export function changed(a: LicenseState, b: LicenseState): boolean {
  return (
    a.licensed !== b.licensed ||
    a.status !== b.status ||
    a.code !== b.code ||
    a.serial !== b.serial ||
    !sameList(a.features, b.features) ||
    !sameCounts(a.limits, b.limits) ||
    !sameCounts(a.nodes, b.nodes)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** What a person can do about a refusal, added to the LM's own sentence. */
export function hintFor(code: string): string {
  switch (code) {
    case 'TOO_MANY_NODES':
      return 'Stop a node of this role, or ask the vendor for a license with more nodes.';
    case 'ROLE_NOT_LICENSED':
      return "Check the node's role, or ask the vendor for a license that includes it.";
    case 'NO_LICENSE':
      return 'Load a license key into the License Manager (tessera-lm load, or its console page).';
    case 'EXPIRED':
    case 'IN_GRACE':
      return 'Renew the license and load (or sync) the new key.';
    case 'PRODUCT_MISMATCH':
      return 'Point this product at the License Manager that holds its license.';
    case 'LMID_MISMATCH':
      return 'The license must be bound to this License Manager; ask the vendor to rebind it.';
    case 'LEASE_TOKEN_INVALID':
      return 'Check that the address is your own License Manager and that nothing between them alters its answers.';
    case 'UNKNOWN_KEY':
    case 'KEY_REVOKED':
      return "Check that the License Manager has the vendor's current trust file (tessera-center trust-bundle) and that the key was not altered.";
    case 'SIGNATURE_INVALID':
    case 'STALE_ANSWER':
      return 'Check that the address is your own License Manager and that nothing between them alters or replays its answers.';
    case 'UNTRUSTED_ROOT':
      return "The product accepts only licenses vouched for by the vendor's root it was built with: give the License Manager the vendor's trust file (tessera-center trust-bundle), and a license the vendor issued.";
    case 'UNAUTHORIZED':
      return 'Pass the seat secret of the License Manager (seats.secret in its YAML) as the "secret" option.';
    default:
      return '';
  }
}

/** What the License Manager's own sentences already advise, by code: its advice is not repeated. */
const LM_ADVICE: Record<string, RegExp> = {
  TOO_MANY_NODES: /add nodes to the license/i,
  EXPIRED: /renew the license/i,
  NO_LICENSE: /load a license key/i,
};

/** The hint for a refusal the LM sent, unless its sentence already says what to do. */
export function hintUnlessGiven(code: string, lmMessage: string): string {
  return LM_ADVICE[code]?.test(lmMessage) ? '' : hintFor(code);
}

export function sentence(...parts: string[]): string {
  return parts
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(' ');
}
