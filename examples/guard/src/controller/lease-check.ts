/**
 * How the controller knows an enforcer really holds a seat: it asks the License Manager, the one authority on
 * seats. GET /v1/usage lists the live leases by the LM's own clock, so a released, run-out or never-granted lease
 * is refused, clocks of the controller and LM hosts need not agree, and one registration per live lease of
 * guard/enforcer means the managed node count can never exceed the seats the LM granted.
 */
import { ENFORCER_ROLE, PRODUCT } from '../index.js';
import { GuardError } from './http-json.js';

export interface LiveLease {
  leaseId: string;
  nodeId: string;
  host: string | null;
}

export class LeaseCheck {
  constructor(
    private readonly lmUrl: string,
    private readonly timeoutMs: number,
  ) {}

  /** The live leases of guard enforcers at the LM, by lease id. Throws LM_UNREACHABLE when it cannot tell. */
  async liveLeases(): Promise<Map<string, LiveLease>> {
    let body: unknown;
    try {
      const response = await fetch(`${this.lmUrl}/v1/usage`, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch {
      throw new GuardError(
        'LM_UNREACHABLE',
        503,
        `The controller could not ask the License Manager at ${this.lmUrl} about this seat; check that it runs, then register again.`,
      );
    }
    const leases = (body as { leases?: unknown }).leases;
    const live = new Map<string, LiveLease>();
    if (!Array.isArray(leases)) return live;
    for (const lease of leases as Record<string, unknown>[]) {
      if (lease.product !== PRODUCT || lease.role !== ENFORCER_ROLE) continue;
      if (typeof lease.leaseId !== 'string' || typeof lease.nodeId !== 'string') continue;
      live.set(lease.leaseId, { leaseId: lease.leaseId, nodeId: lease.nodeId, host: typeof lease.host === 'string' ? lease.host : null });
    }
    return live;
  }

  /** The live lease `leaseId` if it is a guard enforcer seat held by `nodeId`; a GuardError otherwise. */
  async confirm(leaseId: string, nodeId: string): Promise<LiveLease> {
    const lease = (await this.liveLeases()).get(leaseId);
    if (!lease) {
      throw new GuardError(
        'SEAT_NOT_FOUND',
        403,
        `The License Manager holds no live "${ENFORCER_ROLE}" seat of ${PRODUCT} with this lease id; connect to the License Manager first, then register with the lease it granted.`,
      );
    }
    if (lease.nodeId !== nodeId) {
      throw new GuardError(
        'SEAT_MISMATCH',
        403,
        `This seat was granted to another node, not to "${nodeId}"; register with this node's own lease.`,
      );
    }
    return lease;
  }
}
