/**
 * Fixed-window request budgets kept in this process, for the sync and key endpoints: cheap enough for the
 * sync hot path (a map lookup), bounded in memory. With several LC instances each keeps its own windows, so the
 * effective budget is per instance; login throttling, where a shared count matters, lives in the database
 * (services/accounts/throttle.ts).
 */
import { refuse } from '@tessera/http';
import type { FastifyReply } from 'fastify';

export interface Budget {
  max: number;
  windowMs: number;
}

const MAX_KEYS = 100_000;

export class WindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly budget: Budget,
    private readonly now: () => number,
  ) {}

  /** Counts one request for `key`; the seconds to wait when over budget, else 0. */
  take(key: string): number {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.budget.windowMs) {
      if (!window && this.windows.size >= MAX_KEYS) this.sweep(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count > this.budget.max ? Math.max(1, Math.ceil((window.start + this.budget.windowMs - now) / 1000)) : 0;
  }

  // Drops ended windows; if every window is live (a flood of distinct keys), the oldest half goes.
  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.budget.windowMs) this.windows.delete(key);
    if (this.windows.size < MAX_KEYS) return;
    let drop = this.windows.size / 2;
    for (const key of this.windows.keys()) {
      if (drop-- <= 0) break;
      this.windows.delete(key);
    }
  }
}

/** Throws 429 RATE_LIMITED with Retry-After when `key` is over its budget. */
export function enforce(limiter: WindowLimiter, key: string, reply: FastifyReply, what: string): void {
  const wait = limiter.take(key);
  if (wait === 0) return;
  reply.header('retry-after', String(wait));
  throw refuse('RATE_LIMITED', `Too many ${what}; wait ${wait} s and try again.`);
}
