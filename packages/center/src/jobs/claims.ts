/**
 * Background jobs claimed through the database, so that with several License Center instances on one
 * PostgreSQL each run happens on one instance only. A claim is a lease: it ends after its TTL, so a job held by
 * an instance that died is taken over by another one.
 */
import { nullWhereClaimedBy } from '../db/expressions.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock } from '@tessera/core';

export interface JobClaimsOptions {
  db: Kysely<Database>;
  /** This process's name in claimed_by; unique per running instance. */
  instanceId: string;
  clock: Clock;
}

export class JobClaims {
  private readonly db: Kysely<Database>;
  private readonly instanceId: string;
  private readonly clock: Clock;

  constructor(options: JobClaimsOptions) {
    this.db = options.db;
    this.instanceId = options.instanceId;
    this.clock = options.clock;
  }

  /**
   * Claims job `name` for `ttlMs` when nobody holds an unexpired claim (or this instance holds it, which extends
   * it). True when this instance now holds the claim.
   */
  async claim(name: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    // Two instances inserting the first row at once: one insert wins, the other does nothing.
    await this.db
      .insertInto('jobs')
      .values({ name, claimed_by: null, claimed_until: null, last_run_at: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    // One conditional UPDATE decides: on PostgreSQL a concurrent claimer waits for the row lock and then re-checks
    // the condition against the committed claim; on SQLite writes are serialised.
    const result = await this.db
      .updateTable('jobs')
      .set({ claimed_by: this.instanceId, claimed_until: now + ttlMs })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now), eb('claimed_by', '=', this.instanceId)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Gives up this instance's claim early, so another instance need not wait for it to run out. */
  async release(name: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ claimed_by: null, claimed_until: null })
      .where('name', '=', name)
      .where('claimed_by', '=', this.instanceId)
      .execute();
  }

  /**
   * Records a finished run and releases the claim. The run is recorded even when the claim ran out meanwhile
   * (it did happen), but another instance's newer claim is left alone.
   */
  async done(name: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({
        last_run_at: this.clock.now(),
        claimed_by: nullWhereClaimedBy<string>(this.instanceId, 'claimed_by'),
        claimed_until: nullWhereClaimedBy<number>(this.instanceId, 'claimed_until'),
      })
      .where('name', '=', name)
      .execute();
  }

  /** When job `name` last finished (epoch ms), or null if it never has. */
  async lastRun(name: string): Promise<number | null> {
    const row = await this.db.selectFrom('jobs').select('last_run_at').where('name', '=', name).executeTakeFirst();
    return row?.last_run_at ?? null;
  }
}
