/**
 * Node seats for License Manager replicas sharing one PostgreSQL database: the database holds every lease, so any
 * replica checks out, renews and releases any lease, and a role's limit holds across them.
 *
 * - Checkout: one transaction under the role's advisory lock (PgStore.seatTransaction) reads the node's lease and
 *   the role's live count and writes the lease; concurrent checkouts at every replica take turns, so the count
 *   never passes the limit. The checkouts of a role arriving together share one transaction. Answered after the commit.
 * - Heartbeat: a lease this replica renewed is renewed in memory (no statement) while the expiry the database holds
 *   is more than half a TTL ahead, and written with the others once a second (one statement for the batch). Any
 *   other heartbeat (after a failover, or late) is one statement that extends the lease only if it is still live, so
 *   no replica brings back a seat another one freed or a checkout took over. Why the memory renewal is safe: the
 *   database's expiry stays more than half a TTL ahead, so a replica killed before it writes leaves the lease live
 *   until the node's next heartbeat (a third of a TTL later) reaches another replica; like the single License
 *   Manager, a kill -9 loses at most a second of renewals, which can only make a lease look shorter.
 * - A renewal the batch could not write (the lease was released or freed meanwhile) is dropped from memory, so the
 *   node's next heartbeat goes to the database and hears LEASE_NOT_FOUND.
 */
import type { Clock, Code, RoleUsage } from '@tessera/core';
import type { LmIdentity } from '../identity.js';
import { randomId } from '../ids.js';
import type { LicenseService, Verdict } from '../services/license.js';
import type { PgStore } from '../state/pg-store.js';
import type { StoredLease } from '../state/store.js';
import { LeaseTokens } from './lease-tokens.js';
import { inUse, LEASE_UNKNOWN, licenseRefusal, roleFull, roleNotLicensed, seatNotRenewed, usageOf } from './seat-rules.js';
import type { CheckoutInput, HeartbeatInput, Refusal, SeatOutcome, SeatService } from './seat-rules.js';

export interface SharedSeatsOptions {
  store: PgStore;
  license: LicenseService;
  identity: LmIdentity;
  clock: Clock;
  ttlMs: number;
  onRefusal?: (code: Code, input: { role?: string }) => void;
  /** A statement failed (the database is down or restarting); the node is answered 500 and tries another replica. */
  onDatabaseError?: (error: unknown) => void;
}

/** A lease this replica renewed: what it granted, and the expiry the database holds at least. */
interface HeldLease {
  lease: StoredLease;
  written: number;
}

type Heartbeat = SeatOutcome<{ lease: StoredLease; token: string; verdict: Verdict }>;
type Claim =
  { kind: 'granted'; lease: StoredLease } | { kind: 'in-use'; lease: StoredLease } | { kind: 'full' } | { kind: 'down'; error: unknown };
interface ClaimBatch {
  product: string;
  role: string;
  items: { input: CheckoutInput; limit: number; resolve: (claim: Claim) => void }[];
}

const roleKey = (product: string, role: string) => `${product}\u0000${role}`;

export const DATABASE_DOWN: Refusal = {
  code: 'INTERNAL',
  detail: 'The License Manager cannot reach its database right now; the node keeps its seat and tries again (or another replica).',
};

export class SharedSeats implements SeatService {
  private readonly held = new Map<string, HeldLease>();
  private dirty = new Set<HeldLease>();
  private readonly tokens: LeaseTokens;
  /** Live leases per product and role, as last counted (refreshCounts). */
  private counts = new Map<string, number>();
  /** Roles holding more leases than the license grants (or a role it no longer grants): renewals there are checked first. */
  private over = new Set<string>();
  private flushing: Promise<void> | null = null;
  /** Heartbeats waiting for the next statement at the database, per product. */
  private readonly renewals = new Map<
    string,
    { input: HeartbeatInput; resolve: (lease: StoredLease | null) => void; reject: (error: unknown) => void }[]
  >();
  /** Checkouts waiting for the next batch, per role. */
  private readonly queued = new Map<string, ClaimBatch>();
  private scheduled = false;

  constructor(private readonly options: SharedSeatsOptions) {
    this.tokens = new LeaseTokens(options.identity, options.ttlMs);
  }

  async checkout(
    input: CheckoutInput,
  ): Promise<SeatOutcome<{ lease: StoredLease; token: string; verdict: Verdict; committed: Promise<void> }>> {
    const verdict = this.options.license.verdict();
    const license = this.options.license.current;
    const refused = licenseRefusal(verdict, license, input.product);
    if (refused) return this.refuse(refused, input.role);
    const limit = license!.nodes[input.role];
    if (limit === undefined) return this.refuse(roleNotLicensed(license!, input.role, false), input.role);
    const claim = await this.claim(input, limit);
    if (claim.kind === 'down') return this.databaseDown(claim.error, input.role);
    if (claim.kind === 'in-use') return this.refuse({ code: 'NODE_ID_IN_USE', detail: inUse(claim.lease) }, input.role);
    if (claim.kind === 'full') return this.refuse(roleFull(input.role, limit), input.role);
    const { lease } = claim;
    this.hold(lease, lease.expiresAt);
    const token = this.tokens.issue(lease, license!, this.options.clock.now());
    return { ok: true, lease, token, verdict, committed: Promise.resolve() };
  }

  /** Queues a checkout; the checkouts of a role queued in the same turn are claimed together (claimBatch). */
  private claim(input: CheckoutInput, limit: number): Promise<Claim> {
    return new Promise((resolve) => {
      const key = roleKey(input.product, input.role);
      let batch = this.queued.get(key);
      if (!batch) this.queued.set(key, (batch = { product: input.product, role: input.role, items: [] }));
      batch.items.push({ input, limit, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          const batches = [...this.queued.values()];
          this.queued.clear();
          for (const queued of batches) void this.claimBatch(queued);
        });
      }
    });
  }

  /**
   * One transaction under the role's lock for a batch of checkouts: the nodes' leases and the role's live count are
   * read once, each checkout is decided in turn against them (as if they came one by one), and the granted leases are
   * written in one statement. Under load this is one commit per batch instead of one per checkout, as the single
   * License Manager's group commit does.
   */
  private async claimBatch(batch: ClaimBatch): Promise<void> {
    const ttl = this.options.ttlMs;
    let claims: Claim[];
    try {
      claims = await this.options.store.seatTransaction(batch.product, batch.role, async (tx) => {
        const now = this.options.clock.now();
        const { existing, live } = await tx.state([...new Set(batch.items.map((item) => item.input.nodeId))], now);
        const inserted = new Map<string, StoredLease>();
        const extended = new Map<string, StoredLease>();
        let count = live;
        const decided = batch.items.map(({ input, limit }): Claim => {
          const current = existing.get(input.nodeId);
          if (current && current.expiresAt > now) {
            if (current.instance !== input.instance) return { kind: 'in-use', lease: current };
            // The same process again (a retry): its own seat, renewed.
            const lease = { ...current, host: input.host ?? current.host, expiresAt: Math.max(current.expiresAt, now + ttl) };
            (inserted.has(lease.id) ? inserted : extended).set(lease.id, lease);
            existing.set(input.nodeId, lease);
            return { kind: 'granted', lease };
          }
          if (count >= limit) return { kind: 'full' };
          count++;
          const lease: StoredLease = {
            id: randomId('lse_'),
            product: input.product,
            role: input.role,
            nodeId: input.nodeId,
            host: input.host ?? null,
            instance: input.instance,
            since: now,
            expiresAt: now + ttl,
          };
          inserted.set(lease.id, lease);
          existing.set(input.nodeId, lease);
          return { kind: 'granted', lease };
        });
        await tx.insert([...inserted.values()]);
        await tx.extend([...extended.values()]);
        return decided;
      });
    } catch (error) {
      claims = batch.items.map(() => ({ kind: 'down', error }));
    }
    batch.items.forEach((item, i) => item.resolve(claims[i]!));
  }

  /** Renews a lease of this instance: in memory when this replica holds it well ahead, else with one statement. */
  heartbeat(input: HeartbeatInput): Heartbeat | Promise<Heartbeat> {
    const now = this.options.clock.now();
    const verdict = this.options.license.verdict();
    const license = this.options.license.current;
    const found = this.held.get(input.leaseId);
    const mine = found && found.lease.instance === input.instance ? found : undefined;
    const refused = licenseRefusal(verdict, license, mine?.lease.product ?? license?.product ?? '');
    // Refused, and not renewed, when the license no longer grants seats.
    if (refused) return this.refuse(refused, mine?.lease.role);
    if (
      mine &&
      mine.lease.expiresAt > now &&
      mine.written - now > this.options.ttlMs / 2 &&
      !this.over.has(roleKey(mine.lease.product, mine.lease.role))
    ) {
      mine.lease.expiresAt = now + this.options.ttlMs;
      this.dirty.add(mine);
      return { ok: true, lease: mine.lease, token: this.tokens.renewal(mine.lease, license!, now), verdict };
    }
    return this.heartbeatAtDatabase(input, now, verdict);
  }

  private async heartbeatAtDatabase(input: HeartbeatInput, now: number, verdict: Verdict): Promise<Heartbeat> {
    const license = this.options.license.current!;
    const { store } = this.options;
    try {
      const before = this.over.size > 0 ? await store.liveLease(input.leaseId, input.instance, now) : undefined;
      if (before === null) return this.unknown(input.leaseId);
      if (before) {
        const beyond = await this.beyondLicense(before, now);
        if (beyond) return this.refuse(beyond, before.role);
      }
      const lease = await this.renewAtDatabase(input, license.product);
      if (!lease) return this.unknown(input.leaseId);
      if (!(license.product === lease.product && lease.role in license.nodes)) {
        return this.refuse(roleNotLicensed(license, lease.role, true), lease.role);
      }
      const held = this.hold(lease, lease.expiresAt);
      return { ok: true, lease: held.lease, token: this.tokens.renewal(held.lease, license, now), verdict };
    } catch (error) {
      return this.databaseDown(error, undefined);
    }
  }

  /**
   * Renews at the database; the heartbeats that need it in the same turn (after a failover, every node of the
   * replica that died) share one statement.
   */
  private renewAtDatabase(input: HeartbeatInput, product: string): Promise<StoredLease | null> {
    return new Promise((resolve, reject) => {
      let batch = this.renewals.get(product);
      if (!batch) this.renewals.set(product, (batch = []));
      batch.push({ input, resolve, reject });
      if (batch.length > 1) return;
      setImmediate(() => {
        this.renewals.delete(product);
        const now = this.options.clock.now();
        this.options.store
          .renewLeasesOf(
            batch.map((b) => b.input),
            product,
            now,
            now + this.options.ttlMs,
          )
          .then(
            (leases) => {
              const byId = new Map(leases.map((lease) => [lease.id, lease]));
              for (const b of batch) b.resolve(byId.get(b.input.leaseId) ?? null);
            },
            (error: unknown) => {
              for (const b of batch) b.reject(error);
            },
          );
      });
    });
  }

  /** Writes the renewals made in memory since the last call, in one statement; run every second and on shutdown. */
  flushRenewals(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.dirty.size === 0) return Promise.resolve();
    const batch = [...this.dirty].map((held) => ({ held, expiresAt: held.lease.expiresAt }));
    this.dirty = new Set();
    const now = this.options.clock.now();
    const renewals = batch.map(({ held, expiresAt }) => ({ ...held.lease, expiresAt }));
    this.flushing = this.options.store
      .renewLeases(renewals, now)
      .then(
        (written) => {
          for (const { held, expiresAt } of batch) {
            if (written.has(held.lease.id)) held.written = Math.max(held.written, expiresAt);
            // Freed, run out or renewed further elsewhere: the next heartbeat asks the database.
            else if (this.held.get(held.lease.id) === held) this.forget(held.lease.id);
          }
        },
        (error: unknown) => {
          // Kept for the next flush; the renewals answered stay within what the database holds (see the top).
          for (const { held } of batch) if (this.held.get(held.lease.id) === held) this.dirty.add(held);
          this.options.onDatabaseError?.(error);
        },
      )
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  flush(): Promise<void> {
    return this.flushRenewals();
  }

  /** Frees a lease held by this instance; false for an unknown lease and for another instance's alike. */
  async release(input: HeartbeatInput): Promise<boolean> {
    const released = await this.options.store.releaseLease(input.leaseId, input.instance);
    if (released || this.held.get(input.leaseId)?.lease.instance === input.instance) this.forget(input.leaseId);
    return released;
  }

  /** Deletes the leases that ran out (any replica may; it is idempotent) and forgets them here. */
  async sweep(): Promise<number> {
    const now = this.options.clock.now();
    let forgotten = 0;
    for (const [id, held] of this.held) {
      if (held.lease.expiresAt <= now) {
        this.forget(id);
        forgotten++;
      }
    }
    await this.options.store.deleteExpiredLeases(now);
    return forgotten;
  }

  /** Counts the live leases per role in the database; run every few seconds, and for usage. */
  async refreshCounts(): Promise<Map<string, number>> {
    const rows = await this.options.store.liveCounts(this.options.clock.now());
    const counts = new Map(rows.map((row) => [roleKey(row.product, row.role), row.used]));
    const license = this.options.license.current;
    const over = new Set<string>();
    for (const row of rows) {
      const limit = license && license.product === row.product ? license.nodes[row.role] : undefined;
      if (limit === undefined || row.used > limit) over.add(roleKey(row.product, row.role));
    }
    this.counts = counts;
    this.over = over;
    return counts;
  }

  async usage(): Promise<Record<string, RoleUsage>> {
    const counts = await this.refreshCounts();
    const license = this.options.license.current;
    return usageOf(license, (role) => counts.get(roleKey(license!.product, role)) ?? 0);
  }

  async usedCounts(): Promise<Record<string, number>> {
    return Object.fromEntries(Object.entries(await this.usage()).map(([role, u]) => [role, u.used]));
  }

  leases(): Promise<StoredLease[]> {
    return this.options.store.liveLeases(this.options.clock.now());
  }

  get activeCount(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  /** A lease beyond a license that grants fewer seats now: the oldest seats keep going, as with one License Manager. */
  private async beyondLicense(lease: StoredLease, now: number): Promise<Refusal | null> {
    const license = this.options.license.current!;
    const limit = license.product === lease.product ? license.nodes[lease.role] : undefined;
    if (limit === undefined) return roleNotLicensed(license, lease.role, true);
    if (!this.over.has(roleKey(lease.product, lease.role))) return null;
    const older = await this.options.store.olderLiveLeases(lease, now);
    return older < limit ? null : seatNotRenewed(lease.role, limit, older);
  }

  private hold(lease: StoredLease, written: number): HeldLease {
    const existing = this.held.get(lease.id);
    if (existing) {
      existing.lease.expiresAt = Math.max(existing.lease.expiresAt, lease.expiresAt);
      existing.lease.host = lease.host;
      existing.written = Math.max(existing.written, written);
      return existing;
    }
    const held = { lease: { ...lease }, written };
    this.held.set(lease.id, held);
    return held;
  }

  private forget(id: string): void {
    const held = this.held.get(id);
    if (held) this.dirty.delete(held);
    this.held.delete(id);
    this.tokens.forget(id);
  }

  private unknown(id: string): Heartbeat {
    this.forget(id);
    return this.refuse(LEASE_UNKNOWN, undefined);
  }

  private databaseDown(error: unknown, role: string | undefined): { ok: false; code: Code; detail: string } {
    this.options.onDatabaseError?.(error);
    return this.refuse(DATABASE_DOWN, role);
  }

  private refuse(refusal: Refusal, role: string | undefined): { ok: false; code: Code; detail: string } {
    this.options.onRefusal?.(refusal.code, { role });
    return { ok: false, code: refusal.code, detail: refusal.detail };
  }
}
