/**
 * The enforcers the controller manages: the "managed node count". An enforcer is in this list only while it
 * holds a live seat at the License Manager and keeps heartbeating; each one is dropped with a reason otherwise.
 */
import { randomBytes } from 'node:crypto';

export interface Enforcer {
  nodeId: string;
  leaseId: string;
  host: string | null;
  /** A secret handed to the enforcer at registration, so no other process can heartbeat or leave for it. */
  session: string;
  connectedAt: number;
  lastSeenAt: number;
}

export interface EnforcerView {
  nodeId: string;
  host: string | null;
  connectedAt: string;
  lastSeenAt: string;
}

export interface EnforcersOptions {
  now: () => number;
  /** An enforcer silent for longer than this is dropped. */
  staleMs: number;
  onDrop?: (enforcer: Enforcer, reason: string) => void;
}

export class Enforcers {
  private readonly byNode = new Map<string, Enforcer>();

  constructor(private readonly options: EnforcersOptions) {}

  get count(): number {
    return this.byNode.size;
  }

  /** Registers a node; the same node registering again (a restart) replaces its old entry, never counts twice. */
  register(nodeId: string, leaseId: string, host: string | null): Enforcer {
    const now = this.options.now();
    const enforcer: Enforcer = { nodeId, leaseId, host, session: randomBytes(24).toString('base64url'), connectedAt: now, lastSeenAt: now };
    this.byNode.set(nodeId, enforcer);
    return enforcer;
  }

  /** The enforcer whose node id and session both match, or null. */
  find(nodeId: string, session: string): Enforcer | null {
    const enforcer = this.byNode.get(nodeId);
    return enforcer && enforcer.session === session ? enforcer : null;
  }

  heartbeat(nodeId: string, session: string): Enforcer | null {
    const enforcer = this.find(nodeId, session);
    if (enforcer) enforcer.lastSeenAt = this.options.now();
    return enforcer;
  }

  leave(nodeId: string, session: string): boolean {
    const enforcer = this.find(nodeId, session);
    if (!enforcer) return false;
    this.drop(enforcer, 'it left');
    return true;
  }

  /** Drops enforcers that stopped heartbeating. */
  dropSilent(): void {
    const cutoff = this.options.now() - this.options.staleMs;
    for (const enforcer of [...this.byNode.values()]) {
      if (enforcer.lastSeenAt < cutoff) this.drop(enforcer, 'it stopped heartbeating');
    }
  }

  /**
   * Drops enforcers whose seat the License Manager no longer holds (released, run out, refused renewal).
   * `askedAt` is when the list of live leases was asked for: one registered since may hold a newer lease.
   */
  keepOnlyLeases(liveLeaseIds: ReadonlySet<string>, askedAt: number): void {
    for (const enforcer of [...this.byNode.values()]) {
      if (enforcer.connectedAt < askedAt && !liveLeaseIds.has(enforcer.leaseId))
        this.drop(enforcer, 'its seat at the License Manager is gone');
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
      }));
  }

  private drop(enforcer: Enforcer, reason: string): void {
    if (this.byNode.get(enforcer.nodeId) !== enforcer) return;
    this.byNode.delete(enforcer.nodeId);
    this.options.onDrop?.(enforcer, reason);
  }
}
