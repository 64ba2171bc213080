/**
 * The License Center's background jobs. Each is claimed through the database (./claims.ts), so with several
 * instances on one PostgreSQL each run happens on one of them; the outbox and the notice table keep two
 * instances from sending one mail twice anyway.
 */
import type { Clock } from '../clock.js';
import type { MailOutbox } from '../services/mail/mail.js';
import type { JobClaims } from './claims.js';
import type { BackgroundJob } from './scheduler.js';

/** How long an instance holds the delivery job; it gives it back when its batch is done. */
const MAIL_CLAIM_MS = 30_000;
const HOUR = 3_600_000;
/** How often an instance looks whether an hourly job is due (the last run is shared by all instances). */
const HOURLY_CHECK_MS = 10 * 60_000;

export interface BackgroundJobsOptions {
  claims: JobClaims;
  mail: MailOutbox;
  clock: Clock;
  logger: { info(obj: object, msg: string): void };
  /** Jobs that run at most hourly across all instances; run() answers how many things it did. */
  hourly: { name: string; job: { run(): Promise<number> }; done: string }[];
}

export function backgroundJobs(options: BackgroundJobsOptions): BackgroundJob[] {
  const { claims, mail, clock, logger } = options;
  const delivery: BackgroundJob = {
    name: 'mail-delivery',
    async run() {
      if (!(await claims.claim('mail-delivery', MAIL_CLAIM_MS))) return;
      await mail.deliver();
      await claims.done('mail-delivery');
    },
  };
  const hourly = options.hourly.map(({ name, job, done }): BackgroundJob => {
    let nextCheck = 0;
    return {
      name,
      async run() {
        if (clock.now() < nextCheck) return;
        nextCheck = clock.now() + HOURLY_CHECK_MS;
        const last = await claims.lastRun(name);
        if (last !== null && clock.now() - last < HOUR) return;
        if (!(await claims.claim(name, HOURLY_CHECK_MS))) return;
        const count = await job.run();
        await claims.done(name);
        if (count > 0) logger.info({ count, job: name }, done);
      },
    };
  });
  return [delivery, ...hourly];
}
