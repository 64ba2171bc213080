/**
 * Outage grace (DESIGN decision 10, silence is not refusal): while its License Manager is silent, a node keeps its
 * seat (and watch() its license) for the license's signed outageGraceHours, counted from the last time the LM was
 * heard: the request that brought the last lease token verified (watch(): the last verified answer). During it
 * the state is Degraded: licensed, code LM_UNREACHABLE, with `outage` saying since when and until when. Only a
 * verified "no" ends it sooner: the license evaluated unusable on the SDK's own clock, or the LM refusing the seat.
 */
import type { LicenseState, OutageState } from './types.js';
import type { LicenseFacts } from './verify.js';

const HOUR_MS = 3_600_000;

/** The signed outage grace of a license, in ms; 0 (strict) without one. */
export function graceMsOf(facts: LicenseFacts | null): number {
  return (facts?.outageGraceHours ?? 0) * HOUR_MS;
}

/** The outage part of a state: heard last at `sinceWall` (this host's clock), licensed until the grace after it. */
export function outageOf(sinceWall: number, graceMs: number): OutageState {
  return { since: new Date(sinceWall).toISOString(), graceEndsAt: new Date(sinceWall + graceMs).toISOString() };
}

/** "72 hours", "1 hour". */
export function hours(graceMs: number): string {
  const count = graceMs / HOUR_MS;
  return `${count} hour${count === 1 ? '' : 's'}`;
}

/**
 * The Degraded state over `base` (the license's facts and, for a node, its seat): still licensed, with the
 * outage and a sentence saying who keeps what until when.
 * @param who what keeps working, e.g. 'graphdb node "q1" (role query) keeps its seat'
 */
export function degradedState(
  base: LicenseState,
  at: { where: string; detail: string; who: string; outage: OutageState; graceMs: number },
): LicenseState {
  return {
    ...base,
    licensed: true,
    status: 'Degraded',
    code: 'LM_UNREACHABLE',
    outage: at.outage,
    message:
      `The License Manager at ${at.where} has not answered since ${at.outage.since} (${at.detail}). ` +
      `${at.who} under the license's outage grace of ${hours(at.graceMs)}, until ${at.outage.graceEndsAt} at the latest. ` +
      'Check that tessera-lm is running and reachable from this host; all is normal again as soon as it answers.',
  };
}
