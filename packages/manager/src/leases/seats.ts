/**
 * Node seats: a seat per (product, role, nodeId), held by one running process (its SDK connection's random
 * `instance` id) while it heartbeats, and freed when it releases or its lease runs out. The same instance
 * checking out again (a retry after a network blip) gets its own seat back; another process with the same node
 * id is refused (NODE_ID_IN_USE) while the seat lives, so one seat never licenses two processes. A node restarted
 * cleanly released its seat; a killed node's replacement waits at most one lease TTL. Leases live in memory for speed. A checkout is answered only after it is committed to SQLite (grouped
 * with the checkouts of the same moment), so a restart or kill -9 keeps every lease that was granted. Renewals
 * are kept in memory and written once a second: a kill -9 loses at most that second of renewals, which can only
 * make a lease look shorter, never keep a dead node's seat.
 */
import type { Clock, Code, RoleUsage } from '@tessera/core';
import type { LmIdentity } from '../identity.js';
import type { StateStore, StoredLease } from '../state/store.js';
import { WriteQueue } from '../state/write-queue.js';
import { randomId } from '../ids.js';
import type { LicenseService, Verdict } from '../services/license.js';
import { LeaseTokens } from './lease-tokens.js';
import { inUse, LEASE_UNKNOWN, licenseRefusal, roleFull, roleNotLicensed, seatNotRenewed, usageOf } from './seat-rules.js';
import type { CheckoutInput, HeartbeatInput, Refusal, SeatOutcome, SeatService } from './seat-rules.js';

export type { CheckoutInput, HeartbeatInput, SeatOutcome } from './seat-rules.js';

/** Renewals not yet written: flushRenewals() writes them in one transaction. */
type DirtyLeases = Set<StoredLease>;

export interface SeatsOptions {
  store: StateStore;
  license: LicenseService;
  identity: LmIdentity;
  clock: Clock;
  ttlMs: number;
  onRefusal?: (code: Code, input: { role?: string }) => void;
}

const keyOf = (product: string, role: string, nodeId: string) => `${product}\u0000${role}\u0000${nodeId}`;

export class Seats implements SeatService {
  private readonly byId = new Map<string, StoredLease>();
  private readonly byNode = new Map<string, string>();
  private readonly byRole = new Map<string, Set<string>>();
  private readonly writes: WriteQueue;
  private dirty: DirtyLeases = new Set();
  /** The last token signed per lease; dropped with the lease (unindex). */
  private readonly tokens: LeaseTokens;

  constructor(private readonly options: SeatsOptions) {
    this.writes = new WriteQueue(options.store);
    this.tokens = new LeaseTokens(options.identity, options.ttlMs);
    const now = options.clock.now();
    options.store.deleteExpiredLeases(now);
    for (const lease of options.store.listLeases()) this.index(lease);
  }

  /** Grants or refuses a seat; a granted seat is answered after `committed` resolves. */
  checkout(input: CheckoutInput): SeatOutcome<{ lease: StoredLease; token: string; verdict: Verdict; committed: Promise<void> }> {
    const verdict = this.options.license.verdict();
    const license = this.options.license.current;
    const refused = this.refusal(verdict, input.product);
    if (refused) return this.refuse(refused.code, refused.detail, input.role);
    const limit = license!.nodes[input.role];
    if (limit === undefined) return this.refuseWith(roleNotLicensed(license!, input.role, false), input.role);
    const now = this.options.clock.now();
    const existingId = this.byNode.get(keyOf(input.product, input.role, input.nodeId));
    const existing = existingId ? this.byId.get(existingId) : undefined;
    if (existing && existing.expiresAt > now) {
      if (existing.instance !== input.instance) return this.refuse('NODE_ID_IN_USE', inUse(existing), input.role);
      const lease = { ...existing, host: input.host ?? existing.host, expiresAt: now + this.options.ttlMs };
      this.dirty.delete(existing);
      this.index(lease);
      const committed = this.writes.enqueue(() => this.options.store.putLease(lease));
      return { ok: true, lease, token: this.token(lease, now), verdict, committed };
    }
    if (this.taken(input.role, now) >= limit) return this.refuseWith(roleFull(input.role, limit), input.role);
    const lease: StoredLease = {
      id: randomId('lse_'),
      product: input.product,
      role: input.role,
      nodeId: input.nodeId,
      host: input.host ?? null,
      instance: input.instance,
      since: now,
      expiresAt: now + this.options.ttlMs,
    };
    if (existing) this.unindex(existing);
    this.index(lease);
    const committed = this.writes
      .enqueue(() => {
        if (existing) this.options.store.deleteLease(existing.id);
        this.options.store.putLease(lease);
      })
      .catch((error: unknown) => {
        // Not on disk, so not granted: take it back before the caller answers.
        this.unindex(lease);
        throw error;
      });
    return { ok: true, lease, token: this.token(lease, now), verdict, committed };
  }

  /**
   * Renews a lease held by this instance and answers its lease token: the last one signed for it while that is
   * younger than TTL/6, else a new one (a later issuedAt, the renewed expiresAt). A node trusts a renewal only for
   * a token newer than the last it accepted, so a replayed token cannot extend a seat; a new token at most TTL/6
   * apart keeps a node that heartbeats at least every TTL/2 renewed in time (see the SDK's connect.ts). Refused
   * (and not renewed) when the license no longer grants seats. Another instance's lease is LEASE_NOT_FOUND to it.
   */
  heartbeat(input: HeartbeatInput): SeatOutcome<{ lease: StoredLease; token: string; verdict: Verdict }> {
    const now = this.options.clock.now();
    const found = this.byId.get(input.leaseId);
    const lease = found && found.instance === input.instance ? found : undefined;
    if (!lease || lease.expiresAt <= now) {
      if (lease) this.drop(lease);
      return this.refuseWith(LEASE_UNKNOWN, lease?.role);
    }
    const verdict = this.options.license.verdict();
    const refused = this.refusal(verdict, lease.product) ?? this.beyondLicense(lease, now);
    if (refused) return this.refuse(refused.code, refused.detail, lease.role);
    lease.expiresAt = now + this.options.ttlMs;
    this.dirty.add(lease);
    return { ok: true, lease, token: this.renewalToken(lease, now), verdict };
  }

  /** Writes the renewals made since the last call, in one transaction; run every second and on shutdown. */
  flushRenewals(): void {
    if (this.dirty.size === 0) return;
    const dirty = this.dirty;
    this.dirty = new Set();
    this.options.store.transaction(() => {
      for (const lease of dirty) if (this.byId.get(lease.id) === lease) this.options.store.renewLease(lease.id, lease.expiresAt);
    });
  }

  /** Commits queued checkouts and pending renewals now (shutdown). */
  flush(): void {
    this.writes.flush();
    this.flushRenewals();
  }

  /** Frees a lease held by this instance; false for an unknown lease and for another instance's alike. */
  release(input: HeartbeatInput): boolean {
    const lease = this.byId.get(input.leaseId);
    if (!lease || lease.instance !== input.instance) return false;
    this.drop(lease);
    return true;
  }

  /** Frees every lease whose time ran out (killed nodes); run periodically. */
  sweep(): number {
    const now = this.options.clock.now();
    let freed = 0;
    for (const lease of this.byId.values()) {
      if (lease.expiresAt <= now) {
        this.unindex(lease);
        this.dirty.delete(lease);
        freed++;
      }
    }
    if (freed > 0) this.options.store.deleteExpiredLeases(now);
    return freed;
  }

  usage(): Record<string, RoleUsage> {
    const now = this.options.clock.now();
    return usageOf(this.options.license.current, (role) => this.usedNow(role, now));
  }

  usedCounts(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.usage()).map(([role, u]) => [role, u.used]));
  }

  leases(): StoredLease[] {
    const now = this.options.clock.now();
    return [...this.byId.values()].filter((lease) => lease.expiresAt > now);
  }

  get activeCount(): number {
    return this.byId.size;
  }

  private refusal(verdict: Verdict, product: string): Refusal | null {
    return licenseRefusal(verdict, this.options.license.current, product);
  }

  /** Seats held in a role, in O(1); only at the limit are the role's run-out leases swept and recounted. */
  private taken(role: string, now: number): number {
    const ids = this.byRole.get(role);
    if (!ids) return 0;
    const limit = this.options.license.current?.nodes[role] ?? 0;
    if (ids.size < limit) return ids.size;
    for (const id of ids) {
      const lease = this.byId.get(id)!;
      if (lease.expiresAt <= now) this.drop(lease);
    }
    return ids.size;
  }

  /**
   * A newly loaded license may grant fewer seats of a role, or none: the seats it no longer covers are not
   * renewed, so they end with their lease. The oldest seats keep going (a node that has run longest is the one
   * least expected to stop); the newest give way. The count is only walked when the role holds more leases
   * than the license grants, so a normal heartbeat stays O(1).
   */
  private beyondLicense(lease: StoredLease, now: number): Refusal | null {
    const limit = this.options.license.current!.nodes[lease.role];
    if (limit === undefined) return roleNotLicensed(this.options.license.current!, lease.role, true);
    const ids = this.byRole.get(lease.role);
    if (!ids || ids.size <= limit) return null;
    let older = 0;
    for (const id of ids) {
      const other = this.byId.get(id)!;
      if (other !== lease && other.expiresAt > now && (other.since < lease.since || (other.since === lease.since && other.id < lease.id)))
        older++;
    }
    if (older < limit) return null;
    return seatNotRenewed(lease.role, limit, older);
  }

  private usedNow(role: string, now: number): number {
    let used = 0;
    for (const id of this.byRole.get(role) ?? []) if (this.byId.get(id)!.expiresAt > now) used++;
    return used;
  }

  private renewalToken(lease: StoredLease, now: number): string {
    return this.tokens.renewal(lease, this.options.license.current!, now);
  }

  private token(lease: StoredLease, now: number): string {
    return this.tokens.issue(lease, this.options.license.current!, now);
  }

  private refuse(code: Code, detail: string, role: string | undefined): { ok: false; code: Code; detail: string } {
    this.options.onRefusal?.(code, { role });
    return { ok: false, code, detail };
  }

  private refuseWith(refusal: Refusal, role: string | undefined): { ok: false; code: Code; detail: string } {
    return this.refuse(refusal.code, refusal.detail, role);
  }

  private index(lease: StoredLease): void {
    this.byId.set(lease.id, lease);
    this.byNode.set(keyOf(lease.product, lease.role, lease.nodeId), lease.id);
    let ids = this.byRole.get(lease.role);
    if (!ids) this.byRole.set(lease.role, (ids = new Set()));
    ids.add(lease.id);
  }

  private unindex(lease: StoredLease): void {
    this.byId.delete(lease.id);
    this.tokens.forget(lease.id);
    if (this.byNode.get(keyOf(lease.product, lease.role, lease.nodeId)) === lease.id)
      this.byNode.delete(keyOf(lease.product, lease.role, lease.nodeId));
    this.byRole.get(lease.role)?.delete(lease.id);
  }

  private drop(lease: StoredLease): void {
    this.options.store.deleteLease(lease.id);
    this.dirty.delete(lease);
    this.unindex(lease);
  }
}
