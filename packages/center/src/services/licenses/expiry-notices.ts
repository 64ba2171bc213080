/**
 * Expiry mail: a license's customer users are mailed 30, 7 and 1 days before it expires and when it has expired,
 * once each per term. Only the most urgent stage due is sent (a license sold with 5 days left gets the 7-day
 * notice, not the 30-day one too), and a renewal starts a new term with notices of its own. A notice is recorded
 * (primary key: license, expiry, stage) in the transaction that queues its mails, so two instances running the job
 * at once, or a run repeated after a crash, send each notice once.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { customerEmails } from '../mail/recipients.js';
import type { MailOutbox } from '../mail/mail.js';
import type { Clock } from '@tessera/core';

const DAY = 86_400_000;
/** An expired notice is still sent this long after the expiry (a job that was down catches up), not later. */
const LATE_LIMIT = 7 * DAY;
const BATCH = 500;

export class ExpiryNotices {
  private readonly db: Kysely<Database>;
  private readonly mail: MailOutbox;
  private readonly clock: Clock;
  private readonly publicUrl: string;

  constructor(options: { db: Kysely<Database>; mail: MailOutbox; clock: Clock; publicUrl: string }) {
    this.db = options.db;
    this.mail = options.mail;
    this.clock = options.clock;
    this.publicUrl = options.publicUrl;
  }

  /** Sends every notice due now; the number of notices sent (one per license and stage, to all its users). */
  async run(): Promise<number> {
    const now = this.clock.now();
    let sent = 0;
    for (const [days, from, to] of windows(now)) {
      // Each license returned gets its notice recorded, so the next batch is the next licenses; bounded all the same.
      for (let round = 0; round < 1000; round++) {
        const due = await this.db
          .selectFrom('licenses')
          .innerJoin('products', 'products.id', 'licenses.product_id')
          .select(['licenses.id', 'licenses.customer_id', 'licenses.expires_at', 'products.name as product'])
          .where('licenses.status', '=', 'active')
          .where('licenses.expires_at', '>', from)
          .where('licenses.expires_at', '<=', to)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('expiry_notices')
                  .select('expiry_notices.days')
                  .whereRef('expiry_notices.license_id', '=', 'licenses.id')
                  .whereRef('expiry_notices.expires_at', '=', 'licenses.expires_at')
                  .where('expiry_notices.days', '<=', days),
              ),
            ),
          )
          .limit(BATCH)
          .execute();
        for (const license of due) if (await this.send({ ...license, expiresAt: Number(license.expires_at) }, days, now)) sent++;
        if (due.length < BATCH) break;
      }
    }
    return sent;
  }

  private async send(
    license: { id: string; customer_id: string; expiresAt: number; product: string },
    days: number,
    now: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // A stage at or after this one already sent for this term: nothing more to say.
      const already = await trx
        .selectFrom('expiry_notices')
        .select('days')
        .where('license_id', '=', license.id)
        .where('expires_at', '=', license.expiresAt)
        .where('days', '<=', days)
        .executeTakeFirst();
      if (already) return false;
      const inserted = await trx
        .insertInto('expiry_notices')
        .values({ license_id: license.id, expires_at: license.expiresAt, days, sent_at: now })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      const emails = await customerEmails(trx, license.customer_id);
      const date = new Date(license.expiresAt).toISOString().slice(0, 10);
      const subject =
        days === 0
          ? `Your ${license.product} license has expired`
          : `Your ${license.product} license expires in ${days} day${days === 1 ? '' : 's'}`;
      for (const email of emails) {
        await this.mail.enqueue(
          {
            to: email,
            subject,
            text:
              `${days === 0 ? `License ${license.id} expired on ${date}.` : `License ${license.id} expires on ${date}.`}\n` +
              `Renew it from its card in the License Center: ${this.publicUrl}/licenses/${license.id}\n`,
          },
          trx,
        );
      }
      return true;
    });
  }
}

/** Each stage with the expiries it covers at `now`, as (from, to]: expired (within LATE_LIMIT), 1 day, 7, 30. */
function windows(now: number): [days: number, from: number, to: number][] {
  return [
    [0, now - LATE_LIMIT, now],
    [1, now, now + DAY],
    [7, now + DAY, now + 7 * DAY],
    [30, now + 7 * DAY, now + 30 * DAY],
  ];
}
