/** The LicenseState of a node's seat (connect()): held, refused, held on the outage grace, or lost for want of an answer. */
import type { VerifiedLicense } from './license-answer.js';
import { degradedState, outageOf } from './outage.js';
import { factFields, hintUnlessGiven, sentence, statusOfRefusal } from './state.js';
import type { LicenseState, LicenseStatusName } from './types.js';
import { unreachableState } from './watch.js';

/** Which node this is, for sentences: `graphdb node "q1" (role query)`. */
export function nodeLabel(node: { product: string; role: string; nodeId: string }): string {
  return `${node.product} node "${node.nodeId}" (role ${node.role})`;
}

/** The lease as a state shows it. */
export interface SeatShown {
  id: string;
  expiresAt: string;
  token: string;
  /** The address it was renewed at. */
  url: string;
}

function factsOf(verified: VerifiedLicense | null) {
  return factFields(verified?.facts ?? null, verified?.evaluation.daysLeft ?? null);
}

export function heldState(node: string, verified: VerifiedLicense, lease: SeatShown): LicenseState {
  return {
    ...factsOf(verified),
    licensed: true,
    status: verified.status,
    code: verified.evaluation.code,
    message: sentence(`${node} holds a seat at the License Manager at ${lease.url}.`, verified.evaluation.detail),
    seat: { leaseId: lease.id, expiresAt: lease.expiresAt, token: lease.token },
  };
}

/** `retrying` adds that the SDK keeps trying (not at start: connect() rejects). */
export function refusedSeatState(
  node: string,
  verified: VerifiedLicense | null,
  refusal: { code: string; message: string; licenseStatus: LicenseStatusName | null },
  where: string,
  retrying: boolean,
): LicenseState {
  const { code, message } = refusal;
  return {
    ...factsOf(verified),
    licensed: false,
    status: statusOfRefusal(code, refusal.licenseStatus),
    code,
    message: sentence(
      `${node} has no seat at the License Manager at ${where}: ${message}`,
      hintUnlessGiven(code, message),
      retrying ? 'It keeps trying and takes the seat as soon as it is granted.' : '',
    ),
    seat: null,
  };
}

/** The seat past its lease, on the outage grace counted from `heardAtWall`. */
export function degradedSeatState(
  node: string,
  previous: LicenseState,
  verified: VerifiedLicense | null,
  lease: SeatShown & { heardAtWall: number },
  graceMs: number,
  detail: string,
): LicenseState {
  const base: LicenseState = {
    ...previous,
    ...factsOf(verified),
    seat: { leaseId: lease.id, expiresAt: lease.expiresAt, token: lease.token },
  };
  const outage = outageOf(lease.heardAtWall, graceMs);
  return degradedState(base, { where: lease.url, detail, who: `${node} keeps its seat`, outage, graceMs });
}

/** No seat for want of an answer; the license facts shown before are kept, not granted. */
export function unreachableSeatState(node: string, where: string, detail: string, previous: LicenseState, retrying: boolean): LicenseState {
  // At start nothing retries (connect() rejects): the advice is to fix the LM or the address and start again.
  const then = retrying ? 'the node takes its seat again as soon as it answers.' : 'then start the node again.';
  return {
    ...unreachableState(where, detail, previous),
    message: `The License Manager at ${where} cannot be reached (${detail}), so ${node} holds no seat. Check that tessera-lm is running and reachable from this host at that address; ${then}`,
  };
}
