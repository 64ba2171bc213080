/**
 * How the controller knows an enforcer really holds a seat: the enforcer hands over its seat's lease token,
 * signed by the License Manager's key, and the SDK's verifySeat() checks it against that LM and the license it
 * verifies up to the vendor's root (the token must name that license). The token must be for a `guard`/`enforcer` seat of the very node
 * that registers, and not expired by this controller's clock. A process without a seat has no such token, and
 * nothing it can read from the LM's public pages makes one.
 *
 * A token's verdict is kept: checking one costs a request to the LM and two Ed25519 verifications (the license
 * chain and the token), and an enforcer sends the same token with several heartbeats in a row (the LM signs a new
 * one at most every sixth of a lease). The verdict depends only on the token, the LM's key and the license, and
 * the token's expiry is still checked against the clock on every use; a kept verdict lasts at most a minute, so a
 * replaced LM key or license is seen soon, and the controller's watch() drops every enforcer at once when the
 * license stops being usable anyway.
 */
import { verifySeat } from '@tessera/sdk';
import type { SeatVerdict } from '@tessera/sdk';
import { ENFORCER_ROLE, PRODUCT } from '../index.js';
import { GuardError } from './http-json.js';

/** A seat token that verified: the lease it names and until when the LM granted it. */
export interface VerifiedSeat {
  leaseId: string;
  /** ms since the epoch, as the LM signed it. */
  expiresAt: number;
}

export interface SeatCheckOptions {
  /** The License Manager's base URL (http://host:port), or its replicas' in the order they are tried. */
  lmUrls: readonly string[];
  /** The vendor's root key(s) the product was built with. */
  root: readonly string[];
  timeoutMs: number;
  now: () => number;
}

/** How long a token's verdict is kept, and how many are kept at most (the oldest go first). */
const KEEP_MS = 60_000;
const KEEP_MAX = 10_000;

export class SeatCheck {
  private readonly kept = new Map<string, { seat: Extract<SeatVerdict, { ok: true }>; until: number }>();

  constructor(private readonly options: SeatCheckOptions) {}

  /** The seat `token` proves for `nodeId`; a GuardError with a stable code and a sentence otherwise. */
  async verify(token: string, nodeId: string): Promise<VerifiedSeat> {
    const seat = await this.verdict(token);
    if (!seat.ok) {
      if (seat.code === 'LM_UNREACHABLE') {
        throw new GuardError('LM_UNREACHABLE', 503, `${seat.message} Check that the License Manager runs, then register again.`);
      }
      throw new GuardError(seat.code, 403, `The enforcer's seat is not accepted: ${seat.message}`);
    }
    if (seat.role !== ENFORCER_ROLE) {
      throw new GuardError(
        'SEAT_MISMATCH',
        403,
        `This seat is for role "${seat.role}", not "${ENFORCER_ROLE}"; an enforcer registers with the seat it took as an enforcer.`,
      );
    }
    if (seat.nodeId !== nodeId) {
      throw new GuardError(
        'SEAT_MISMATCH',
        403,
        `This seat was granted to another node, not to "${nodeId}"; register with this node's own seat.`,
      );
    }
    const expiresAt = Date.parse(seat.expiresAt);
    const now = this.options.now();
    if (!(expiresAt > now)) {
      throw new GuardError(
        'SEAT_EXPIRED',
        403,
        `This seat token ran out at ${seat.expiresAt} by the controller's clock (${new Date(now).toISOString()}); send the newest token the License Manager gave, and check that the clocks of the controller's and the License Manager's hosts agree.`,
      );
    }
    return { leaseId: seat.leaseId, expiresAt };
  }

  /** verifySeat()'s answer for `token`, from the kept ones when it is there; only good verdicts are kept. */
  private async verdict(token: string): Promise<SeatVerdict> {
    const now = this.options.now();
    const kept = this.kept.get(token);
    if (kept && kept.until > now) return kept.seat;
    if (kept) this.kept.delete(token);
    const { lmUrls, root, timeoutMs } = this.options;
    const seat = await verifySeat({ url: lmUrls, product: PRODUCT, token, root, timeoutMs });
    if (seat.ok) {
      if (this.kept.size >= KEEP_MAX) this.kept.delete(this.kept.keys().next().value!);
      this.kept.set(token, { seat, until: now + KEEP_MS });
    }
    return seat;
  }
}
