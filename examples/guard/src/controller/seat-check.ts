/**
 * How the controller knows an enforcer really holds a seat: the enforcer hands over its seat's lease token,
 * signed by the License Manager's key, and the SDK's verifySeat() checks it against that LM (and, with the
 * vendor's trust bundle, the license chain). The token must be for a `guard`/`enforcer` seat of the very node
 * that registers, and not expired by this controller's clock. A process without a seat has no such token, and
 * nothing it can read from the LM's public pages makes one.
 */
import { verifySeat } from '@tessera/sdk';
import { ENFORCER_ROLE, PRODUCT } from '../index.js';
import { GuardError } from './http-json.js';

/** A seat token that verified: the lease it names and until when the LM granted it. */
export interface VerifiedSeat {
  leaseId: string;
  /** ms since the epoch, as the LM signed it. */
  expiresAt: number;
}

export interface SeatCheckOptions {
  /** The License Manager's base URL (http://host:port). */
  lmUrl: string;
  /** The vendor's trust bundle text. */
  trust: string;
  timeoutMs: number;
  now: () => number;
}

export class SeatCheck {
  constructor(private readonly options: SeatCheckOptions) {}

  /** The seat `token` proves for `nodeId`; a GuardError with a stable code and a sentence otherwise. */
  async verify(token: string, nodeId: string): Promise<VerifiedSeat> {
    const { lmUrl, trust, timeoutMs } = this.options;
    const seat = await verifySeat({ url: lmUrl, product: PRODUCT, token, trust, timeoutMs });
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
}
