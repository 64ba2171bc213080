/**
 * Telling a customer that their license changed: one mail per user of the customer per staff action (or marketplace
 * notice), queued in the transaction of the change, so a change is never committed without its mail or the other
 * way round. Which changes are told: those that change what the customer holds or must do — expanded, renewed,
 * features or limits, suspended or resumed, mode, rebound, new content from a request code, and for an offline
 * license a re-signing after the vendor's key was revoked (its key must be loaded again). Not told: a new license
 * (the Setup License mail), the customer binding it, and outage grace changes (a vendor's robustness setting; a
 * product's new default would mail every customer at once).
 */
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { MailOutbox } from '../mail/mail.js';
import { customerEmails } from '../mail/recipients.js';
import { licenseChangeMail } from './change-mail.js';
import type { ToldChange } from './change-mail.js';

/** The kinds told always ('issued_from_request_code' is request-codes.ts's, named here as it would be a cycle to import). */
const TOLD = new Set(['expanded', 'renewed', 'features_limits', 'suspended', 'resumed', 'mode', 'rebound', 'issued_from_request_code']);

/** Whether a change of `kind` may be told (a re-signing only for an offline license, which tell() checks). */
export function mayBeTold(kind: string): boolean {
  return TOLD.has(kind) || kind === 'resigned';
}

export class ChangeNotices {
  private readonly mail: MailOutbox;
  private readonly publicUrl: string;

  constructor(options: { mail: MailOutbox; publicUrl: string }) {
    this.mail = options.mail;
    this.publicUrl = options.publicUrl;
  }

  /** Whether a change of `kind` may be told: the others skip tell() at once. */
  mayTell(kind: string): boolean {
    return mayBeTold(kind);
  }

  /**
   * Queues, in `trx`, the mail about the changes of `licenseId` recorded after serial `since` (one action's), to each
   * active user of its customer; nothing when none of them is told. Returns who was mailed.
   */
  async tell(trx: Transaction<Database>, licenseId: string, since: number): Promise<string[]> {
    const license = await trx
      .selectFrom('licenses')
      .innerJoin('products', 'products.id', 'licenses.product_id')
      .select([
        'licenses.id',
        'licenses.customer_id',
        'licenses.serial',
        'licenses.mode',
        'licenses.lmid',
        'licenses.status',
        'products.name as productName',
      ])
      .where('licenses.id', '=', licenseId)
      .executeTakeFirstOrThrow();
    const rows = await trx
      .selectFrom('license_changes')
      .select(['kind', 'detail'])
      .where('license_id', '=', licenseId)
      .where('serial', '>', since)
      .orderBy('serial')
      .execute();
    const offline = license.mode === 'offline' && license.lmid !== null;
    const changes: ToldChange[] = rows
      .filter((row) => TOLD.has(row.kind) || (row.kind === 'resigned' && offline))
      .map((row) => ({ kind: row.kind, words: wordsOf(row.detail) }));
    if (changes.length === 0) return [];
    const emails = await customerEmails(trx, license.customer_id);
    if (emails.length === 0) return [];
    const mail = licenseChangeMail({ ...license, serial: Number(license.serial) }, changes, `${this.publicUrl}/licenses/${license.id}`);
    for (const to of emails) await this.mail.enqueue({ to, ...mail }, trx);
    return emails;
  }
}

/** The words a change was recorded with (detail.changes); none for a change recorded before words were kept. */
function wordsOf(detail: string): string[] {
  const changes = (JSON.parse(detail) as { changes?: unknown }).changes;
  return Array.isArray(changes) ? changes.filter((w): w is string => typeof w === 'string') : [];
}
