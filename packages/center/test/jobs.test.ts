import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { JobClaims } from '../src/jobs/claims.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

describe.each(DIALECTS)('job claims on %s', (dialect) => {
  let target: TestDatabase;
  // Two handles, as two License Center processes would have (two connection pools on PostgreSQL).
  let first: DatabaseHandle;
  let second: DatabaseHandle;
  let clock: { t: number; now(): number };
  let a: JobClaims;
  let b: JobClaims;

  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    first = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    await migrateToLatest(first.db as never, dialect);
    second = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await target.drop();
  });
  beforeEach(() => {
    clock = { t: T0, now: () => clock.t };
    a = new JobClaims({ db: first.db, instanceId: 'a', clock });
    b = new JobClaims({ db: second.db, instanceId: 'b', clock });
  });

  it('gives a new job to exactly one of two instances claiming it at once', async () => {
    for (let round = 0; round < 30; round++) {
      const results = await Promise.all([a.claim(`new-${round}`, 60_000), b.claim(`new-${round}`, 60_000)]);
      expect(results.filter(Boolean), `round ${round}: ${results.join(',')}`).toHaveLength(1);
    }
    const rows = await first.db.selectFrom('jobs').select('name').where('name', 'like', 'new-%').execute();
    expect(rows).toHaveLength(30);
  });

  it('gives a released or expired job to exactly one of two instances claiming it at once', async () => {
    const wins = { a: 0, b: 0 };
    for (let round = 0; round < 30; round++) {
      const [gotA, gotB] = await Promise.all([a.claim('sweep', 1_000), b.claim('sweep', 1_000)]);
      expect(Number(gotA) + Number(gotB), `round ${round}`).toBe(1);
      wins[gotA ? 'a' : 'b']++;
      // The loser cannot take it while the claim lasts.
      expect(await (gotA ? b : a).claim('sweep', 1_000)).toBe(false);
      if (round % 2 === 0) await (gotA ? a : b).release('sweep');
      else clock.t += 1_001;
    }
    expect(wins.a + wins.b).toBe(30);
  });

  it('lets the holder renew its claim, and another instance take it only after the TTL', async () => {
    expect(await a.claim('renewals', 10_000)).toBe(true);
    expect(await b.claim('renewals', 10_000)).toBe(false);
    clock.t += 5_000;
    expect(await a.claim('renewals', 10_000)).toBe(true); // renewed until T0 + 15 s
    clock.t += 9_000;
    expect(await b.claim('renewals', 10_000)).toBe(false);
    clock.t += 1_001;
    expect(await b.claim('renewals', 10_000)).toBe(true);
    expect(await a.claim('renewals', 10_000)).toBe(false);
    const row = await first.db.selectFrom('jobs').selectAll().where('name', '=', 'renewals').executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'renewals', claimed_by: 'b', claimed_until: clock.t + 10_000, last_run_at: null });
  });

  it('release lets the other instance claim at once, and only the holder can release', async () => {
    expect(await a.claim('expiry-mails', 60_000)).toBe(true);
    await b.release('expiry-mails'); // not b's claim: nothing happens
    expect(await b.claim('expiry-mails', 60_000)).toBe(false);
    await a.release('expiry-mails');
    expect(await b.claim('expiry-mails', 60_000)).toBe(true);
  });

  it('done records the run and releases the claim', async () => {
    expect(await a.lastRun('usage-rollup')).toBeNull();
    expect(await a.claim('usage-rollup', 60_000)).toBe(true);
    clock.t += 2_000;
    await a.done('usage-rollup');
    expect(await a.lastRun('usage-rollup')).toBe(T0 + 2_000);
    expect(await b.lastRun('usage-rollup')).toBe(T0 + 2_000);
    expect(await b.claim('usage-rollup', 60_000)).toBe(true);
  });

  it("done after the claim ran out records the run but leaves the other instance's claim alone", async () => {
    expect(await a.claim('slow', 1_000)).toBe(true);
    clock.t += 1_001;
    expect(await b.claim('slow', 60_000)).toBe(true);
    await a.done('slow');
    const row = await first.db.selectFrom('jobs').selectAll().where('name', '=', 'slow').executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'slow', claimed_by: 'b', claimed_until: clock.t + 60_000, last_run_at: clock.t });
    expect(await a.claim('slow', 60_000)).toBe(false);
  });
});
