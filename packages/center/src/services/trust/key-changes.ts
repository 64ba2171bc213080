/**
 * Changes of the signing keys that staff make (POST /v1/staff/keys/…, `tessera-center keys rotate`), each with its
 * audit event in the key change's own transaction, and the trust bundle signed again.
 *
 * Rotating: a new active key; the old one is retired and still trusted.
 *
 * Revoking a signing key so that it reaches the field. The key is marked revoked (the next trust bundle tells
 * products to refuse what it signed), and every active license whose current serial it signed is re-signed under
 * the active key with a raised serial, the history saying why: online License Managers pick the new serial up at
 * their next sync, before their products see the revocation. Offline licenses cannot be pushed: they are listed,
 * with whom to contact, so staff can send the new key. Running it again for a revoked key re-signs what is left
 * (a pass cut short by a restart resumes).
 */
import type { Kysely } from 'kysely';
import { fail, ok, parseEnvelope } from '@tessera/core';
import type { Result } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import type { AuditLog } from '../audit/audit.js';
import type { Licenses } from '../licenses/licenses.js';
import type { SigningKeyInfo, SigningKeys } from './signing-keys.js';
import type { TrustBundles } from './trust-bundles.js';

export interface Revocation {
  revoked: SigningKeyInfo;
  /** Licenses re-signed under the active key (their new serial). */
  resigned: { licenseId: string; serial: number; mode: 'online' | 'offline' }[];
  /** The offline ones among them: their customers must load the new key. */
  offline: { licenseId: string; customerId: string; customer: string; contacts: string[] }[];
}

export class KeyChanges {
  constructor(
    private readonly options: { db: Kysely<Database>; keys: SigningKeys; licenses: Licenses; trustBundles: TrustBundles; audit: AuditLog },
  ) {}

  /** A new active key, audited in the same transaction; `actor` is a staff user id, or "cli" for the server's shell. */
  async rotate(actor: string): Promise<SigningKeyInfo> {
    const { keys, trustBundles, audit } = this.options;
    const created = await keys.rotate((trx, key) =>
      audit.append({ actor, action: 'signing_key.rotated', subject: key.kid, data: { kid: key.kid } }, trx).then(() => undefined),
    );
    trustBundles.forget();
    return created;
  }

  async revoke(kid: string, actor: string): Promise<Result<Revocation>> {
    const { db, keys, licenses, trustBundles, audit } = this.options;
    const revoked = await keys.revoke(kid, (trx) =>
      audit.append({ actor, action: 'signing_key.revoked', subject: kid, data: { kid } }, trx).then(() => undefined),
    );
    if (!revoked) return fail('NOT_FOUND', `There is no signing key ${kid}.`);
    trustBundles.forget();
    const rows = await db
      .selectFrom('licenses')
      .innerJoin('customers', 'customers.id', 'licenses.customer_id')
      .select([
        'licenses.id',
        'licenses.serial',
        'licenses.signed_serial',
        'licenses.signed_text',
        'licenses.mode',
        'licenses.customer_id',
        'customers.name',
      ])
      .where('licenses.status', '=', 'active')
      .where('licenses.signed_text', 'is not', null)
      .orderBy('licenses.id')
      .execute();
    const resigned: Revocation['resigned'] = [];
    const offline: Revocation['offline'] = [];
    for (const row of rows) {
      if (row.signed_serial !== row.serial || signedBy(row.signed_text!) !== kid) continue;
      const changed = await licenses.resign(row.id, `vendor key ${kid} was revoked`, actor);
      if (!changed.ok) continue; // ended meanwhile: nothing to re-sign
      resigned.push({ licenseId: row.id, serial: changed.value.serial, mode: row.mode });
      if (row.mode === 'offline') offline.push({ licenseId: row.id, customerId: row.customer_id, customer: row.name, contacts: [] });
    }
    if (offline.length > 0) {
      const users = await db
        .selectFrom('users')
        .select(['customer_id', 'email'])
        .where('customer_id', 'in', [...new Set(offline.map((o) => o.customerId))])
        .where('status', '=', 'active')
        .orderBy('email')
        .execute();
      for (const entry of offline) entry.contacts = users.filter((u) => u.customer_id === entry.customerId).map((u) => u.email);
    }
    return ok({ revoked, resigned, offline });
  }
}

function signedBy(text: string): string | null {
  const envelope = parseEnvelope(text, 'license');
  return envelope.ok ? envelope.value.kid : null;
}
