/**
 * Counters per key (an account, an address) per fixed window, in the `throttle` table so every LC instance
 * counts together. One upsert per hit: the window restarts once it has run out. A hit is counted and its new count
 * returned in one statement, so callers that decide on that count (login) cannot all slip through at once.
 */
import { createHash } from 'node:crypto';
import { lessOne, windowCountAfterHit, windowStartAfterHit } from '../../db/expressions.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '@tessera/core';

export interface Limit {
  max: number;
  windowMs: number;
}

export class Throttle {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;

  constructor(options: { db: Kysely<Database>; clock: Clock }) {
    this.db = options.db;
    this.clock = options.clock;
  }

  /** Counts one more; returns the new count in the window. */
  async hit(key: string, limit: Limit): Promise<number> {
    const now = this.clock.now();
    const stale = now - limit.windowMs;
    const row = await this.db
      .insertInto('throttle')
      .values({ key: keyOf(key), window_start: now, count: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: windowCountAfterHit(stale),
          window_start: windowStartAfterHit(stale, now),
        }),
      )
      .returning('count')
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Counts one more and tells whether the key is still within its limit. */
  async allow(key: string, limit: Limit): Promise<boolean> {
    return (await this.hit(key, limit)) <= limit.max;
  }

  /** Gives back one hit of the current window (an attempt that turned out not to count), never below 0. */
  async release(key: string, limit: Limit): Promise<void> {
    await this.db
      .updateTable('throttle')
      .set({ count: lessOne('count') })
      .where('key', '=', keyOf(key))
      .where('count', '>', 0)
      .where('window_start', '>', this.clock.now() - limit.windowMs)
      .execute();
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('throttle').where('key', '=', keyOf(key)).execute();
  }
}

// Keys hold emails and addresses; the table keeps only their hash.
function keyOf(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}
