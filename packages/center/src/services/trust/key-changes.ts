/**
 * Changes of the signing keys that staff make (POST /v1/staff/keys/…, `tessera-center keys rotate`), each with its
 * audit event in the key change's own transaction, and the trust bundle signed again.
 *
 * Rotating: a new active key; the old one is retired and still trusted.
 *
 * Revoking a signing key so that it reaches the field: every active license whose current serial it signed is
 * re-signed under the active key with a raised serial, the history saying why, and only then is the key marked
 * revoked (the next trust bundle tells products to refuse what it signed): an online License Manager gets the new
 * serial with, or before, the bundle that refuses the old one. Offline licenses cannot be pushed: they are listed,
 * with whom to contact, so staff can send the new key. Running it again for a revoked key re-signs what is left
 * (a pass cut short by a restart resumes) and audits nothing new.
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

  /**
   * In this order, so that no License Manager is left with a license its new bundle refuses: a leaked active key is
   * first rotated out (a new active key, in the bundle from now on); every active license whose current serial the
   * key signed is re-signed under the new key; only then is the key marked revoked and the bundle that says so
   * handed out; a last pass re-signs what another instance signed with the key meanwhile (its cached active key).
   */
  async revoke(kid: string, actor: string): Promise<Result<Revocation>> {
    const { keys, trustBundles, audit } = this.options;
    const before = await keys.info(kid);
    if (!before) return fail('NOT_FOUND', `There is no signing key ${kid}.`);
    if (before.state === 'active') await this.rotate(actor);
    const resigned = await this.resignAll(kid, actor);
    const revoked = await keys.revoke(kid, (trx, key) =>
      before.state === 'revoked'
        ? Promise.resolve()
        : audit.append({ actor, action: 'signing_key.revoked', subject: kid, data: { kid: key.kid } }, trx).then(() => undefined),
    );
    trustBundles.forget();
    resigned.push(...(await this.resignAll(kid, actor)));
    return ok({ revoked: revoked!, resigned, offline: await this.offlineOf(resigned) });
  }

  /** Re-signs (serial raised) every active license whose current serial was signed by `kid`. */
  private async resignAll(kid: string, actor: string): Promise<Revocation['resigned']> {
    const { db, licenses } = this.options;
    const rows = await db
      .selectFrom('licenses')
      .select(['id', 'serial', 'signed_serial', 'signed_text', 'mode'])
      .where('status', '=', 'active')
      .where('signed_text', 'is not', null)
      .orderBy('id')
      .execute();
    const resigned: Revocation['resigned'] = [];
    for (const row of rows) {
      if (row.signed_serial !== row.serial || signedBy(row.signed_text!) !== kid) continue;
      const changed = await licenses.resign(row.id, `vendor key ${kid} was revoked`, actor);
      if (changed.ok) resigned.push({ licenseId: row.id, serial: changed.value.serial, mode: row.mode }); // else ended meanwhile
    }
    return resigned;
  }

  /** The offline licenses among `resigned`, with their customers' contacts. */
  private async offlineOf(resigned: Revocation['resigned']): Promise<Revocation['offline']> {
    const { db } = this.options;
    const ids = resigned.filter((r) => r.mode === 'offline').map((r) => r.licenseId);
    if (ids.length === 0) return [];
    const rows = await db
      .selectFrom('licenses')
      .innerJoin('customers', 'customers.id', 'licenses.customer_id')
      .select(['licenses.id', 'licenses.customer_id', 'customers.name'])
      .where('licenses.id', 'in', ids)
      .orderBy('licenses.id')
      .execute();
    const users = await db
      .selectFrom('users')
      .select(['customer_id', 'email'])
      .where('customer_id', 'in', [...new Set(rows.map((r) => r.customer_id))])
      .where('status', '=', 'active')
      .orderBy('email')
      .execute();
    return rows.map((r) => ({
      licenseId: r.id,
      customerId: r.customer_id,
      customer: r.name,
      contacts: users.filter((u) => u.customer_id === r.customer_id).map((u) => u.email),
    }));
  }
}

function signedBy(text: string): string | null {
  const envelope = parseEnvelope(text, 'license');
  return envelope.ok ? envelope.value.kid : null;
}
