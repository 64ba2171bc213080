/**
 * A budget of requests per client address: a token bucket holding `perMinute` tokens, refilled continuously, so a
 * burst of that size passes at once and a steady flood gets `perMinute` a minute. Time comes from the LM's clock.
 * IPv6 addresses count by their /64, which one host usually holds whole; IPv4 by the address.
 */
import { clientAddressKey } from '@tessera/http';

interface Bucket {
  tokens: number;
  at: number;
}

/** Addresses remembered at most (a few MB); past that, idle ones are forgotten first (makeRoom). */
const MAX_ADDRESSES = 50_000;

export class AddressBudget {
  private readonly buckets = new Map<string, Bucket>();
  private lastForget = -Infinity;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  /** Takes one token for `address`; false when its budget is spent (answer 429). */
  take(address: string): boolean {
    const key = clientAddressKey(address);
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    // A clock stepped back refills nothing and takes nothing away.
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (Math.max(0, now - bucket.at) * this.perMinute) / 60_000);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= MAX_ADDRESSES) this.makeRoom(now);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Seconds until `address` has a token again (for Retry-After). */
  retryAfterSeconds(address: string): number {
    const bucket = this.buckets.get(clientAddressKey(address));
    if (!bucket || bucket.tokens >= 1) return 0;
    return Math.ceil(((1 - bucket.tokens) * 60) / this.perMinute);
  }

  /**
   * Forgets the addresses whose bucket has refilled (idle), at most once a second, since that walks them all; when
   * every remembered address is busy (a flood from very many addresses), the one remembered longest goes.
   */
  private makeRoom(now: number): void {
    if (now - this.lastForget >= 1000 || now < this.lastForget) {
      this.lastForget = now;
      for (const [key, bucket] of this.buckets) {
        if (bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000 >= this.perMinute) this.buckets.delete(key);
      }
    }
    if (this.buckets.size >= MAX_ADDRESSES) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
