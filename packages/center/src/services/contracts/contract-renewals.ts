/**
 * The auto-renew job for sales contracts: a contract with auto-renew whose term has ended is extended by one
 * term, its licenses' expiry follows (the serial rises, so online License Managers pick it up at their next
 * sync), and the customer's users are mailed, once for the contract, with what to do for each license (sync, or
 * load the new offline key). The contract's end moves by a conditional update, so two instances
 * running the job at once renew each term once. A job that was down catches up one term per run.
 * (Marketplace contracts renew on the marketplace and arrive as notifications; they are not touched here.)
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { customerEmails } from '../mail/recipients.js';
import type { AuditLog } from '../audit/audit.js';
import { TERM_MONTHS } from './contracts.js';
import { addMonths } from '../licenses/license-rules.js';
import type { Licenses } from '../licenses/licenses.js';
import type { MailOutbox } from '../mail/mail.js';
import { packagesMailSection } from '../packages/package-mail.js';
import { whatToDoText } from '../licenses/change-mail.js';
import type { Clock } from '@tessera/core';

const ACTOR = 'job:auto-renew';
const BATCH = 200;

export class ContractRenewals {
  private readonly db: Kysely<Database>;
  private readonly licenses: Licenses;
  private readonly audit: AuditLog;
  private readonly mail: MailOutbox;
  private readonly clock: Clock;
  private readonly publicUrl: string;

  constructor(options: { db: Kysely<Database>; licenses: Licenses; audit: AuditLog; mail: MailOutbox; clock: Clock; publicUrl: string }) {
    this.db = options.db;
    this.licenses = options.licenses;
    this.audit = options.audit;
    this.mail = options.mail;
    this.clock = options.clock;
    this.publicUrl = options.publicUrl;
  }

  /** Renews every due contract by one term; the number renewed by this call. */
  async run(): Promise<number> {
    const now = this.clock.now();
    const due = await this.db
      .selectFrom('contracts')
      .innerJoin('products', 'products.id', 'contracts.product_id')
      .select(['contracts.id', 'contracts.customer_id', 'contracts.term', 'contracts.ends_at', 'products.name as product'])
      .where('contracts.source', '=', 'sales')
      .where('contracts.auto_renew', '=', 1)
      .where('contracts.status', '=', 'active')
      .where('contracts.ends_at', '<=', now)
      .orderBy('contracts.ends_at')
      .limit(BATCH)
      .execute();
    let renewed = 0;
    for (const contract of due) if (await this.renew(contract)) renewed++;
    return renewed;
  }

  private async renew(contract: {
    id: string;
    customer_id: string;
    term: '1m' | '1y';
    ends_at: number;
    product: string;
  }): Promise<boolean> {
    const previous = Number(contract.ends_at);
    const endsAt = addMonths(previous, TERM_MONTHS[contract.term]);
    return this.db.transaction().execute(async (trx) => {
      // Only the instance whose update finds the old end renews this term.
      const moved = await trx
        .updateTable('contracts')
        .set({ ends_at: endsAt })
        .where('id', '=', contract.id)
        .where('ends_at', '=', previous)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) return false;
      await this.audit.append(
        { actor: ACTOR, action: 'contract.renewed', subject: contract.id, data: { term: contract.term, endsAt, previous } },
        trx,
      );
      const licenses = await trx
        .selectFrom('licenses')
        .select('id')
        .where('contract_id', '=', contract.id)
        .where('status', '!=', 'ended')
        .execute();
      const steps: string[] = [];
      for (const { id } of licenses) {
        // Not told by Licenses: this job's own mail says it, once for the contract.
        const result = await this.licenses.setTerms(
          id,
          { expiresAt: endsAt, nodes: {} },
          ACTOR,
          { contractId: contract.id, autoRenewed: true },
          trx,
          { tell: false },
        );
        if (!result.ok) throw new Error(`Auto-renewing contract ${contract.id}: license ${id}: ${result.detail}`);
        const license = { ...result.value, productName: contract.product };
        steps.push(`License ${id}:\n${whatToDoText(license, ['renewed'], `${this.publicUrl}/licenses/${id}`)}\n`);
      }
      const emails = await customerEmails(trx, contract.customer_id);
      const until = new Date(endsAt).toISOString().slice(0, 10);
      let packages = '';
      for (const { id } of licenses) packages += await packagesMailSection(trx, id, this.publicUrl);
      for (const email of emails) {
        await this.mail.enqueue(
          {
            to: email,
            subject: `Your ${contract.product} subscription renewed until ${until}`,
            text:
              `Your ${contract.product} subscription (contract ${contract.id}) renewed automatically until ${until}.\n\n` +
              `What to do:\n${steps.join('\n')}` +
              packages,
          },
          trx,
        );
      }
      return true;
    });
  }
}
