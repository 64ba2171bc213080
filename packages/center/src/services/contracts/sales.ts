/**
 * The sales flow's mail: a sales contract created by staff is mailed to the customer's users as a "Setup License"
 * link to the new license in the portal (bind a License Manager, choose online or offline, copy the key), in the
 * same transaction as the contract, so a sale is never recorded without its mail or the other way round. A
 * customer with no user yet gets none: staff invite someone, whose setup mail leads to the same license. The mail
 * lists the product's installation packages and where to download them.
 */
import type { Kysely } from 'kysely';
import { ok } from '@tessera/core';
import type { Result } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import { customerEmails } from '../mail/recipients.js';
import type { ContractInput, ContractView, Contracts } from './contracts.js';
import type { LicenseView } from '../licenses/license-views.js';
import type { MailOutbox } from '../mail/mail.js';
import { lmPackagesMailSection, packagesMailSection } from '../packages/package-mail.js';

export class Sales {
  private readonly db: Kysely<Database>;
  private readonly contracts: Contracts;
  private readonly mail: MailOutbox;
  private readonly publicUrl: string;

  constructor(options: { db: Kysely<Database>; contracts: Contracts; mail: MailOutbox; publicUrl: string }) {
    this.db = options.db;
    this.contracts = options.contracts;
    this.mail = options.mail;
    this.publicUrl = options.publicUrl;
  }

  /** Sells the contract (Contracts.create) and mails the customer's active users; who was mailed. */
  async sell(input: ContractInput, actor: string): Promise<Result<{ contract: ContractView; license: LicenseView; mailedTo: string[] }>> {
    return this.db.transaction().execute(async (trx) => {
      const created = await this.contracts.create(input, actor, undefined, trx);
      if (!created.ok) return created;
      const { contract, license } = created.value;
      const product = await trx.selectFrom('products').select('name').where('id', '=', contract.productId).executeTakeFirstOrThrow();
      const emails = await customerEmails(trx, contract.customerId);
      const nodes = Object.entries(contract.quantities)
        .map(([role, count]) => `${count} ${role}`)
        .join(', ');
      const packages =
        (await packagesMailSection(trx, license.id, this.publicUrl)) + (await lmPackagesMailSection(trx, license.id, this.publicUrl));
      for (const email of emails) {
        await this.mail.enqueue(
          {
            to: email,
            subject: `Setup License: ${product.name}`,
            text:
              `A new ${product.name} license is ready for you (${nodes} nodes, ${contract.term === '1m' ? 'one month' : 'one year'}).\n\n` +
              `Set it up here: bind your License Manager, choose online or offline, and copy the key:\n` +
              `${this.publicUrl}/licenses/${license.id}\n` +
              packages,
          },
          trx,
        );
      }
      return ok({ contract, license, mailedTo: emails });
    });
  }
}
