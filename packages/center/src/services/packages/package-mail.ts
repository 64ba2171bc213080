/**
 * The installation packages section of purchase and renewal mails: each current package of the license's product
 * (file, version, platform, size, SHA-256) and the portal page where the customer downloads them; purchase mails
 * add the License Manager's packages (the built-in product), newest per platform, as the customer needs one to
 * use the license. Mails outlive download links, so the mail names the page, never a signed link.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { LM_PRODUCT } from './lm-product.js';

/** The section for `licenseId`'s product, or '' when the product has no packages. */
export async function packagesMailSection(db: Kysely<Database>, licenseId: string, publicUrl: string): Promise<string> {
  const packages = await db
    .selectFrom('packages')
    .innerJoin('licenses', 'licenses.product_id', 'packages.product_id')
    .select(['packages.filename', 'packages.version', 'packages.platform', 'packages.size', 'packages.sha256'])
    .where('licenses.id', '=', licenseId)
    .where('packages.withdrawn_at', 'is', null)
    .orderBy('packages.uploaded_at', 'desc')
    .orderBy('packages.id', 'desc')
    .execute();
  if (packages.length === 0) return '';
  const lines = packages.map(
    (p) => `- ${p.filename}: version ${p.version}, ${p.platform}, ${humanSize(Number(p.size))}\n  sha256 ${p.sha256}`,
  );
  return (
    `\nInstallation packages (download them while the license is active, from ${licenseDownloadsUrl(publicUrl, licenseId)}):\n` +
    `${lines.join('\n')}\n`
  );
}

/**
 * The License Manager's packages for a purchase mail: the newest of each platform, and the license's downloads
 * page, where they are too; '' when none is published.
 */
export async function lmPackagesMailSection(db: Kysely<Database>, licenseId: string, publicUrl: string): Promise<string> {
  const packages = await db
    .selectFrom('packages')
    .innerJoin('products', 'products.id', 'packages.product_id')
    .select(['packages.filename', 'packages.version', 'packages.platform', 'packages.size', 'packages.sha256'])
    .where('products.slug', '=', LM_PRODUCT.slug)
    .where('packages.withdrawn_at', 'is', null)
    .orderBy('packages.uploaded_at', 'desc')
    .orderBy('packages.id', 'desc')
    .execute();
  const newest = packages.filter((p, index) => packages.findIndex((q) => q.platform === p.platform) === index);
  if (newest.length === 0) return '';
  const lines = newest.map(
    (p) => `- ${p.filename}: version ${p.version}, ${p.platform}, ${humanSize(Number(p.size))}\n  sha256 ${p.sha256}`,
  );
  return (
    `\nThe License Manager (tessera-lm), which runs next to the product and holds its license; the tarball runs ` +
    `unpacked anywhere, the .deb installs on Debian and Ubuntu (download them, with the commands, from ` +
    `${licenseDownloadsUrl(publicUrl, licenseId)}):\n${lines.join('\n')}\n`
  );
}

/** The portal page of a license's downloads. */
export function licenseDownloadsUrl(publicUrl: string, licenseId: string): string {
  return `${publicUrl}/licenses/${licenseId}#downloads`;
}

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}
