/**
 * Signing a license row: once per serial, on first demand, the text kept in the row so syncs and key pages never
 * sign. Any instance signing the same serial writes the same text (issuedAt is the time of the change).
 */
import type { Kysely, Selectable } from 'kysely';
import { issueLicense } from '@tessera/core';
import type { Database, LicensesTable } from '../../db/schema.js';
import type { SigningKeys } from '../trust/signing-keys.js';

/** The signed license for the row's serial, from the row or signed now and stored; null while unbound. */
export async function signLicenseRow(db: Kysely<Database>, keys: SigningKeys, row: Selectable<LicensesTable>): Promise<string | null> {
  if (row.signed_serial === row.serial && row.signed_text !== null) return row.signed_text;
  if (row.lmid === null) return null;
  const meta = await db
    .selectFrom(['customers', 'products'])
    .select(['customers.name as customerName', 'products.slug as product'])
    .where('customers.id', '=', row.customer_id)
    .where('products.id', '=', row.product_id)
    .executeTakeFirstOrThrow();
  const signed = issueLicense(
    {
      id: row.id,
      serial: row.serial,
      product: meta.product,
      customer: { id: row.customer_id, name: meta.customerName },
      nodes: JSON.parse(row.nodes) as Record<string, number>,
      limits: JSON.parse(row.limits) as Record<string, number>,
      features: JSON.parse(row.features) as string[],
      // The time of the change that made this serial: another instance signing the same serial writes the same text.
      issuedAt: new Date(row.updated_at).toISOString(),
      startsAt: new Date(row.starts_at).toISOString(),
      expiresAt: new Date(row.expires_at).toISOString(),
      warnDays: row.warn_days,
      graceDays: row.grace_days,
      mode: row.mode,
      lmid: row.lmid,
    },
    // The key active in the database now: a text signed by a key another instance just revoked would be kept for
    // this serial, and every License Manager would refuse it.
    await keys.activeNow(),
  );
  if (!signed.ok) throw new Error(`License ${row.id} serial ${row.serial} cannot be signed: ${signed.detail}`);
  // Only for the serial that was read: a change committed meanwhile keeps its own (newer) text.
  await db
    .updateTable('licenses')
    .set({ signed_text: signed.value, signed_serial: row.serial })
    .where('id', '=', row.id)
    .where('serial', '=', row.serial)
    .execute();
  return signed.value;
}
