/**
 * Signing a license row: once per serial, on first demand, the text kept in the row so syncs and key pages never
 * sign. Any instance signing the same serial writes the same text (issuedAt is the time of the change).
 */
import type { Kysely, Selectable } from 'kysely';
import { issueLicense } from '@tessera/core';
import type { Database, LicensesTable } from '../../db/schema.js';
import type { SigningKeys } from '../trust/signing-keys.js';
import { effectiveOutageGrace } from './license-rules.js';

/**
 * The signed license for the license's current serial: `row`'s stored text when it is for that serial, else signed
 * now and stored; null while unbound (or gone).
 */
export async function signLicenseRow(db: Kysely<Database>, keys: SigningKeys, row: Selectable<LicensesTable>): Promise<string | null> {
  if (row.signed_serial === row.serial && row.signed_text !== null) return row.signed_text;
  // The license read again with its customer and product in one statement, so the product's outage grace is the one
  // its serial was made with: a change of the product's grace raises the serial of every license that follows it.
  const current = await db
    .selectFrom('licenses')
    .innerJoin('customers', 'customers.id', 'licenses.customer_id')
    .innerJoin('products', 'products.id', 'licenses.product_id')
    .selectAll('licenses')
    .select(['customers.name as customerName', 'products.slug as product', 'products.outage_grace_hours as productGraceHours'])
    .where('licenses.id', '=', row.id)
    .executeTakeFirst();
  if (!current || current.lmid === null) return null;
  if (current.signed_serial === current.serial && current.signed_text !== null) return current.signed_text;
  const outageGraceHours = effectiveOutageGrace(current.outage_grace_hours, current.productGraceHours);
  const signed = issueLicense(
    {
      id: current.id,
      serial: current.serial,
      product: current.product,
      customer: { id: current.customer_id, name: current.customerName },
      nodes: JSON.parse(current.nodes) as Record<string, number>,
      limits: JSON.parse(current.limits) as Record<string, number>,
      features: JSON.parse(current.features) as string[],
      // The time of the change that made this serial: another instance signing the same serial writes the same text.
      issuedAt: new Date(current.updated_at).toISOString(),
      startsAt: new Date(current.starts_at).toISOString(),
      expiresAt: new Date(current.expires_at).toISOString(),
      warnDays: current.warn_days,
      graceDays: current.grace_days,
      mode: current.mode,
      lmid: current.lmid,
      // Left out at 0 (strict), so a strict license signs byte for byte as before the field existed.
      ...(outageGraceHours === 0 ? {} : { outageGraceHours }),
    },
    // The key active in the database now: a text signed by a key another instance just revoked would be kept for
    // this serial, and every License Manager would refuse it.
    await keys.activeNow(),
  );
  if (!signed.ok) throw new Error(`License ${current.id} serial ${current.serial} cannot be signed: ${signed.detail}`);
  // Only for the serial that was read: a change committed meanwhile keeps its own (newer) text.
  await db
    .updateTable('licenses')
    .set({ signed_text: signed.value, signed_serial: current.serial })
    .where('id', '=', current.id)
    .where('serial', '=', current.serial)
    .execute();
  return signed.value;
}
