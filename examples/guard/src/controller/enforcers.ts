/**
 * The enforcers the controller manages: the "managed node count". An enforcer is in this list only while its
 * last verified seat token has not run out and it keeps heartbeating; each one is dropped with a reason otherwise.
 */
import { randomBytes } from 'node:crypto';
import type { VerifiedSeat } from './seat-check.js';

export interface Enforcer {
  nodeId: string;
  leaseId: string;
  /** As the enforcer reports it, for people reading the status page; not checked. */
  host: string | null;
  /** A secret handed to the enforcer at registration, so no other process can heartbeat or leave for it. */
  session: string;
  connectedAt: number;
  lastSeenAt: number;
  /** When the last seat token the controller verified runs out. */
  seatExpiresAt: number;
  /** How long that token ran when it was verified (about the lease TTL): the time given to renew after an outage. */
  seatSpanMs: number;
}

export interface EnforcerView {
  nodeId: string;
  host: string | null;
  connectedAt: string;
  lastSeenAt: string;
  seatExpiresAt: string;
}

export interface EnforcersOptions {
  now: () => number;
  /** An enforcer silent for longer than this is dropped. */
  staleMs: number;
  /**
   * Null, or while the License Manager is silent and the license stands on its outage grace, the grace's end (ms):
   * a seat verified before counts until then, since its token cannot be renewed meanwhile.
   */
  graceUntil?: () => number | null;
  onDrop?: (enforcer: Enforcer, reason: string) => void;
}

/** Registering a node that another live registration holds with another seat. */
export interface Conflict {
  conflict: Enforcer;
}

export class Enforcers {
  private readonly byNode = new Map<string, Enforcer>();
  /** Whether the license stood on its outage grace when last looked at, and when that grace last ended. */
  private inGrace = false;
  private graceEndedAt: number | null = null;

  constructor(private readonly options: EnforcersOptions) {}

  get count(): number {
    return this.byNode.size;
  }

  /**
   * Registers a node with a verified seat. The same node registering again with the same seat (a restart)
   * replaces its old entry and never counts twice; with another seat it may only replace an entry that stopped
   * heartbeating or whose seat ran out, so a second process cannot push out the enforcer holding the node's seat.
   */
  register(nodeId: string, seat: VerifiedSeat, host: string | null): Enforcer | Conflict {
    const now = this.options.now();
    const existing = this.byNode.get(nodeId);
    if (existing && existing.leaseId !== seat.leaseId) {
      if (this.isLive(existing, now)) return { conflict: existing };
      this.drop(existing, 'it went quiet, and its node registered again with another seat');
    }
    const enforcer: Enforcer = {
      nodeId,
      leaseId: seat.leaseId,
      host,
      session: randomBytes(24).toString('base64url'),
      connectedAt: now,
      lastSeenAt: now,
      seatExpiresAt: seat.expiresAt,
      seatSpanMs: Math.max(0, seat.expiresAt - now),
    };
    this.byNode.set(nodeId, enforcer);
    return enforcer;
  }

  /** The enforcer whose node id and session both match, or null. */
  find(nodeId: string, session: string): Enforcer | null {
    const enforcer = this.byNode.get(nodeId);
    return enforcer && enforcer.session === session ? enforcer : null;
  }

  /**
   * A heartbeat whose seat token verified: the enforcer is seen, and its seat runs until the token's expiry.
   * Null when the session no longer names this node's entry (dropped or replaced while the token was checked).
   */
  heartbeat(nodeId: string, session: string, seat: VerifiedSeat): Enforcer | null {
    const enforcer = this.find(nodeId, session);
    if (!enforcer) return null;
    const now = this.options.now();
    enforcer.lastSeenAt = now;
    enforcer.seatExpiresAt = Math.max(enforcer.seatExpiresAt, seat.expiresAt);
    enforcer.seatSpanMs = Math.max(0, seat.expiresAt - now);
    return enforcer;
  }

  /** A heartbeat whose token could not be checked (LM unreachable): seen, the seat still runs out on time. */
  seen(nodeId: string, session: string): Enforcer | null {
    const enforcer = this.find(nodeId, session);
    if (enforcer) enforcer.lastSeenAt = this.options.now();
    return enforcer;
  }

  /** Drops the enforcer of this session, with the reason; false when the session names none. */
  dropSession(nodeId: string, session: string, reason: string): boolean {
    const enforcer = this.find(nodeId, session);
    if (!enforcer) return false;
    this.drop(enforcer, reason);
    return true;
  }

  leave(nodeId: string, session: string): boolean {
    return this.dropSession(nodeId, session, 'it left');
  }

  /** Drops enforcers that stopped heartbeating, and those whose last verified seat token ran out (outage grace aside). */
  dropLapsed(): void {
    const now = this.options.now();
    for (const enforcer of [...this.byNode.values()]) {
      if (this.seatEnd(enforcer, now) <= now) this.drop(enforcer, 'its seat token ran out without a fresh one');
      else if (!this.isLive(enforcer, now)) this.drop(enforcer, 'it stopped heartbeating');
    }
  }

  dropAll(reason: string): void {
    for (const enforcer of [...this.byNode.values()]) this.drop(enforcer, reason);
  }

  list(): EnforcerView[] {
    return [...this.byNode.values()]
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
      .map((e) => ({
        nodeId: e.nodeId,
        host: e.host,
        connectedAt: new Date(e.connectedAt).toISOString(),
        lastSeenAt: new Date(e.lastSeenAt).toISOString(),
        seatExpiresAt: new Date(e.seatExpiresAt).toISOString(),
      }));
  }

  /** Heartbeating recently enough, with a seat token that has not run out: an entry to keep. */
  private isLive(enforcer: Enforcer, now: number): boolean {
    return enforcer.lastSeenAt >= now - this.options.staleMs && this.seatEnd(enforcer, now) > now;
  }

  /**
   * Until when an enforcer's seat counts: its last verified token's expiry, or the outage grace's end if later.
   * When the License Manager answers again, the grace ends for the controller and for each enforcer's own SDK at
   * slightly different moments: a token that ran out during the grace counts for one more span of it from the
   * moment the grace ended, the time the enforcer's SDK needs to renew and bring a fresh one. Without a grace
   * (a strict license) a token that ran out ends the seat at once.
   */
  private seatEnd(enforcer: Enforcer, now: number): number {
    const grace = this.graceNow(now);
    const ended = this.graceEndedAt;
    const renewal = ended !== null && enforcer.seatExpiresAt < ended ? ended + enforcer.seatSpanMs : -Infinity;
    return Math.max(enforcer.seatExpiresAt, grace ?? -Infinity, renewal);
  }

  /** The outage grace's end now, or null; notes the moment a grace ends. */
  private graceNow(now: number): number | null {
    const until = this.options.graceUntil?.() ?? null;
    if (until !== null) {
      this.inGrace = true;
      this.graceEndedAt = null;
    } else if (this.inGrace) {
      this.inGrace = false;
      this.graceEndedAt = now;
    }
    return until;
  }

  private drop(enforcer: Enforcer, reason: string): void {
    if (this.byNode.get(enforcer.nodeId) !== enforcer) return;
    this.byNode.delete(enforcer.nodeId);
    this.options.onDrop?.(enforcer, reason);
  }
}
