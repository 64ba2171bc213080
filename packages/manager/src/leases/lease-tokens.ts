/**
 * Lease tokens, signed with the identity key (kid = LMID) for the license held. The last token signed for a lease
 * is answered again to heartbeats while it is young: Ed25519 signing costs about 35 µs, which would dominate a
 * heartbeat. Memory only: a restart (or another replica) signs anew, with a later issuedAt as long as the clocks agree.
 */
import { sealEnvelope } from '@tessera/core';
import type { License } from '@tessera/core';
import type { LmIdentity } from '../identity.js';
import type { StoredLease } from '../state/store.js';

interface SignedToken {
  token: string;
  issuedAt: number;
  /** What the token was signed for: another instance or license serial needs a new one. */
  instance: string | null;
  licenseId: string;
  serial: number;
}

export class LeaseTokens {
  /** Per lease id, the last token signed for it; dropped with the lease (forget). */
  private readonly signed = new Map<string, SignedToken>();
  /** How long a signed token is answered again: TTL/6, so a node heartbeating every TTL/3 gets a new one each time. */
  private readonly reuseMs: number;

  constructor(
    private readonly identity: LmIdentity,
    ttlMs: number,
  ) {
    this.reuseMs = ttlMs / 6;
  }

  /** The lease's last token while it is young and still says the same (instance, license); else a new one. */
  renewal(lease: StoredLease, license: License, now: number): string {
    const last = this.signed.get(lease.id);
    if (
      last &&
      now >= last.issuedAt &&
      now - last.issuedAt < this.reuseMs &&
      last.instance === lease.instance &&
      last.licenseId === license.id &&
      last.serial === license.serial
    )
      return last.token;
    return this.issue(lease, license, now);
  }

  /** Signs a new lease token and remembers it as the lease's last. */
  issue(lease: StoredLease, license: License, now: number): string {
    const last = this.signed.get(lease.id);
    // issuedAt only grows, even if the clock steps back, so the node can tell a new token from the last one.
    const issuedAt = last ? Math.max(now, last.issuedAt + 1) : now;
    const { lmid, privateKey } = this.identity;
    const token = sealEnvelope(
      'lease',
      { kid: lmid, privateKey },
      {
        leaseId: lease.id,
        lmid,
        product: lease.product,
        role: lease.role,
        nodeId: lease.nodeId,
        instance: lease.instance,
        licenseId: license.id,
        serial: license.serial,
        issuedAt: new Date(issuedAt).toISOString(),
        expiresAt: new Date(lease.expiresAt).toISOString(),
      },
    );
    this.signed.set(lease.id, { token, issuedAt, instance: lease.instance, licenseId: license.id, serial: license.serial });
    return token;
  }

  forget(leaseId: string): void {
    this.signed.delete(leaseId);
  }
}
