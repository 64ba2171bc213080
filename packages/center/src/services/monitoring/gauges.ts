/**
 * What GET /metrics reads from the database when scraped: licenses by status, the mail outbox's depth and its
 * oldest pending mail, and when each background job last finished. Three small indexed or tiny-table queries.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

export interface GaugeReadings {
  licensesByStatus: Record<'active' | 'suspended' | 'ended', number>;
  outbox: { pending: number; oldestCreatedAt: number | null };
  /** Each job that ever finished, with when (epoch ms). */
  jobs: { name: string; lastRunAt: number | null }[];
}

export class Gauges {
  constructor(private readonly db: Kysely<Database>) {}

  async read(): Promise<GaugeReadings> {
    const [licenses, outbox, jobs] = await Promise.all([
      this.db
        .selectFrom('licenses')
        .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy('status')
        .execute(),
      this.db
        .selectFrom('mail_outbox')
        .select([(eb) => eb.fn.countAll<number>().as('pending'), (eb) => eb.fn.min('created_at').as('oldest')])
        .where('status', '=', 'pending')
        .executeTakeFirst(),
      this.db.selectFrom('jobs').select(['name', 'last_run_at']).orderBy('name').execute(),
    ]);
    const licensesByStatus = { active: 0, suspended: 0, ended: 0 };
    for (const row of licenses) licensesByStatus[row.status] = Number(row.count);
    return {
      licensesByStatus,
      outbox: { pending: Number(outbox?.pending ?? 0), oldestCreatedAt: outbox?.oldest == null ? null : Number(outbox.oldest) },
      jobs: jobs.map((row) => ({ name: row.name, lastRunAt: row.last_run_at == null ? null : Number(row.last_run_at) })),
    };
  }
}
