/**
 * A customer's RENEW on a license sold by the vendor's sales staff: the request is recorded in the license's
 * history and audit log and mailed to the sales staff, who renew it (Licenses.renew) after the paperwork. It
 * changes nothing signed, so the serial stays. Asking again within a day records and mails nothing new, so a
 * button pressed twice does not flood anyone. (Marketplace licenses renew on the marketplace: a later issue.)
 */
import type { Kysely } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import type { AuditLog } from '../audit/audit.js';
import type { MailOutbox } from '../mail/mail.js';

export const RENEWAL_REQUESTED = 'renewal_requested';
const DAY = 86_400_000;
/** Requests older than this no longer show as open. */
const OPEN_FOR = 90 * DAY;

export interface RenewalRequestView {
  licenseId: string;
  customer: { id: string; name: string };
  product: string;
  months: 1 | 12;
  requestedAt: number;
  requestedBy: string;
  expiresAt: number;
}

export class RenewalRequests {
  private readonly db: Kysely<Database>;
  private readonly audit: AuditLog;
  private readonly mail: MailOutbox;
  private readonly clock: Clock;
  private readonly publicUrl: string;

  private readonly marketplaceRenewUrl: string;

  constructor(options: {
    db: Kysely<Database>;
    audit: AuditLog;
    mail: MailOutbox;
    clock: Clock;
    publicUrl: string;
    marketplaceRenewUrl: string;
  }) {
    this.marketplaceRenewUrl = options.marketplaceRenewUrl;
    this.db = options.db;
    this.audit = options.audit;
    this.mail = options.mail;
    this.clock = options.clock;
    this.publicUrl = options.publicUrl;
  }

  /**
   * Records the customer's request and mails the sales staff; `repeated` when one was made in the last day. A
   * license bought on AWS Marketplace renews there: the answer is where, and nothing is recorded (the renewal
   * arrives as a marketplace notification).
   */
  async request(
    licenseId: string,
    months: 1 | 12,
    customerId: string,
    userId: string,
  ): Promise<Result<{ repeated: boolean; marketplaceUrl?: string }>> {
    if (months !== 1 && months !== 12) return fail('BAD_REQUEST', 'A renewal is for 1 or 12 months.');
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const license = await trx
        .selectFrom('licenses')
        .innerJoin('customers', 'customers.id', 'licenses.customer_id')
        .innerJoin('products', 'products.id', 'licenses.product_id')
        .leftJoin('contracts', 'contracts.id', 'licenses.contract_id')
        .select([
          'contracts.source',
          'licenses.id',
          'licenses.serial',
          'licenses.status',
          'licenses.expires_at',
          'customers.name as customer',
          'products.name as product',
        ])
        .where('licenses.id', '=', licenseId)
        .where('licenses.customer_id', '=', customerId)
        .executeTakeFirst();
      if (!license) return fail('NOT_FOUND', `There is no license ${licenseId}.`);
      if (license.status === 'ended') return fail('BAD_REQUEST', `License ${license.id} has ended; ask the vendor for a new one.`);
      if (license.source === 'marketplace') return ok({ repeated: false, marketplaceUrl: this.marketplaceRenewUrl });
      const recent = await trx
        .selectFrom('license_changes')
        .select('id')
        .where('license_id', '=', license.id)
        .where('kind', '=', RENEWAL_REQUESTED)
        .where('at', '>', now - DAY)
        .executeTakeFirst();
      if (recent) return ok({ repeated: true });
      const detail = { months, expiresAt: Number(license.expires_at) };
      await trx
        .insertInto('license_changes')
        .values({
          license_id: license.id,
          at: now,
          kind: RENEWAL_REQUESTED,
          serial: license.serial,
          actor: userId,
          detail: JSON.stringify(detail),
        })
        .execute();
      await this.audit.append({ actor: userId, action: `license.${RENEWAL_REQUESTED}`, subject: license.id, data: detail }, trx);
      const sales = await trx
        .selectFrom('users')
        .select('email')
        .where('customer_id', 'is', null)
        .where('role', 'in', ['admin', 'sales'])
        .where('status', '=', 'active')
        .execute();
      const term = months === 1 ? '1 month' : '1 year';
      for (const { email } of sales) {
        await this.mail.enqueue(
          {
            to: email,
            subject: `Renewal requested: ${license.customer}, ${license.product} (${term})`,
            text:
              `${license.customer} asks to renew license ${license.id} (${license.product}) by ${term}.\n` +
              `It expires ${new Date(Number(license.expires_at)).toISOString().slice(0, 10)}.\n\n` +
              `Renew it in the License Center: ${this.publicUrl}/staff/licenses/${license.id}\n`,
          },
          trx,
        );
      }
      return ok({ repeated: false });
    });
  }

  /** Requests of the last 90 days not yet followed by a renewal, oldest first: the sales staff's to-do list. */
  async open(): Promise<RenewalRequestView[]> {
    const since = this.clock.now() - OPEN_FOR;
    const rows = await this.db
      .selectFrom('license_changes as r')
      .innerJoin('licenses', 'licenses.id', 'r.license_id')
      .innerJoin('customers', 'customers.id', 'licenses.customer_id')
      .innerJoin('products', 'products.id', 'licenses.product_id')
      .select([
        'r.license_id',
        'r.at',
        'r.actor',
        'r.detail',
        'customers.id as customerId',
        'customers.name as customerName',
        'products.slug',
        'licenses.expires_at',
      ])
      .where('r.kind', '=', RENEWAL_REQUESTED)
      .where('r.at', '>', since)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('license_changes as d')
              .select('d.id')
              .whereRef('d.license_id', '=', 'r.license_id')
              .where('d.kind', '=', 'renewed')
              .whereRef('d.at', '>=', 'r.at'),
          ),
        ),
      )
      .orderBy('r.at')
      .execute();
    return rows.map((row) => ({
      licenseId: row.license_id,
      customer: { id: row.customerId, name: row.customerName },
      product: row.slug,
      months: (JSON.parse(row.detail) as { months: 1 | 12 }).months,
      requestedAt: Number(row.at),
      requestedBy: row.actor,
      expiresAt: Number(row.expires_at),
    }));
  }
}
