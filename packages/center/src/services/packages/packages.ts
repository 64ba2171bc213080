/**
 * Installation packages: staff upload a product's packages (version, platform, file) into the packages folder;
 * customers see their license's product's packages and, while the license is active, get short-lived signed
 * download links. Withdrawing a package removes its file (its links stop working) and keeps its row for history.
 */
import type { Readable } from 'node:stream';
import type { Kysely, Selectable } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Code, Failure, Result } from '@tessera/core';
import type { Database, PackagesTable } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { AuditLog } from '../audit/audit.js';
import type { DownloadLinks } from './download-links.js';
import { licenseState } from '../licenses/license-rules.js';
import type { LicenseState } from '../licenses/license-rules.js';
import { isUniqueViolation } from '../marketplace/marketplace.js';
import type { PackageFiles } from './package-files.js';
import { LM_PRODUCT } from './lm-product.js';

export interface PackageView {
  id: string;
  /** The product's slug. */
  product: string;
  version: string;
  platform: string;
  filename: string;
  size: number;
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
  uploadedAt: number;
  /** The staff member who uploaded it (staff views only). */
  uploadedBy?: string;
}

export interface UploadInput {
  product: string;
  version: string;
  platform: string;
  filename: string;
}

/** The codes of this area (docs/license-center.md), with the rest of core's closed list. */
export type PackageCode = Extract<Code, 'PACKAGE_EXISTS' | 'LICENSE_NOT_ACTIVE' | 'LINK_EXPIRED' | 'LINK_INVALID'>;

const VERSION = /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$/;
const PLATFORM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FILENAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;
const DOWNLOADABLE: LicenseState[] = ['active', 'expiring', 'grace'];

type PackageRow = Selectable<PackagesTable> & { product: string };

export class Packages {
  private readonly db: Kysely<Database>;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  private readonly files: PackageFiles;
  private readonly links: DownloadLinks;
  private readonly settings: { maxBytes: number; linkMinutes: number; publicUrl: string };

  constructor(options: {
    db: Kysely<Database>;
    audit: AuditLog;
    clock: Clock;
    files: PackageFiles;
    links: DownloadLinks;
    settings: { maxBytes: number; linkMinutes: number; publicUrl: string };
  }) {
    this.db = options.db;
    this.audit = options.audit;
    this.clock = options.clock;
    this.files = options.files;
    this.links = options.links;
    this.settings = options.settings;
  }

  /**
   * Streams `body` into the packages folder and records the package. Everything about the names is checked before
   * a byte is read; a refused, too large or interrupted upload leaves neither file nor row.
   */
  async upload(input: UploadInput, body: Readable | null, declaredBytes: number | null, actor: string): Promise<Result<PackageView>> {
    const product = await this.checkUpload(input);
    if (!product.ok) return product;
    const { maxBytes } = this.settings;
    const tooLarge = fail('PAYLOAD_TOO_LARGE', `A package may be at most ${maxBytes} bytes (TESSERA_PACKAGE_MAX_BYTES).`);
    if (declaredBytes !== null && declaredBytes > maxBytes) return tooLarge;
    if (body === null || declaredBytes === 0) return EMPTY;
    const received = await this.files.receive(body, maxBytes);
    if (!received.ok) return received.reason === 'too-large' ? tooLarge : INTERRUPTED;
    const { file } = received;
    if (declaredBytes !== null && file.size !== declaredBytes) {
      // The connection ended early without an error (the body is shorter than its Content-Length).
      await this.files.discard(file.temp);
      return INTERRUPTED;
    }
    if (file.size === 0) {
      await this.files.discard(file.temp);
      return EMPTY;
    }
    const id = newId('pkg_');
    const now = this.clock.now();
    const row = {
      id,
      product_id: product.value.id,
      version: input.version,
      platform: input.platform,
      filename: input.filename,
      size: file.size,
      sha256: file.sha256,
      uploaded_at: now,
      uploaded_by: actor,
      withdrawn_at: null,
      withdrawn_by: null,
    };
    await this.files.place(file, id).catch(async (error: unknown) => {
      await this.files.discard(file.temp);
      throw error;
    });
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('packages').values(row).execute();
        const data = { ...input, size: file.size, sha256: file.sha256 };
        await this.audit.append({ actor, action: 'package.uploaded', subject: id, data }, trx);
      });
    } catch (error) {
      await this.files.remove(id);
      // Another upload of the same product, version and platform finished first.
      if (isUniqueViolation(error)) return exists(input);
      throw error;
    }
    return ok(viewOf({ ...row, product: input.product }, true));
  }

  /** The current (not withdrawn) packages, newest first, of one product (by slug) or of all. */
  async list(productSlug?: string): Promise<Result<PackageView[]>> {
    if (productSlug !== undefined) {
      const product = await this.db.selectFrom('products').select('id').where('slug', '=', productSlug).executeTakeFirst();
      if (!product) return noProduct(productSlug);
    }
    let query = this.current();
    if (productSlug !== undefined) query = query.where('products.slug', '=', productSlug);
    return ok((await query.execute()).map((row) => viewOf(row, true)));
  }

  /** Withdraws a package: its row is marked, its file removed, its links stop working. */
  async withdraw(packageId: string, actor: string): Promise<Result<PackageView & { withdrawnAt: number }>> {
    const now = this.clock.now();
    const withdrawn = await this.db.transaction().execute(async (trx) => {
      const row = await this.current(trx).where('packages.id', '=', packageId).executeTakeFirst();
      if (!row) return null;
      const moved = await trx
        .updateTable('packages')
        .set({ withdrawn_at: now, withdrawn_by: actor })
        .where('id', '=', packageId)
        .where('withdrawn_at', 'is', null)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0) return null;
      const { product, version, platform, filename } = row;
      await this.audit.append(
        { actor, action: 'package.withdrawn', subject: packageId, data: { product, version, platform, filename } },
        trx,
      );
      return row;
    });
    if (!withdrawn) return noPackage(packageId);
    // The withdrawal is committed: the row decides, so links stop working whether or not the file goes. A file
    // that cannot be removed now (a busy or read-only shared volume) is left unreachable under its id, and the
    // answer must still say "withdrawn" rather than fail after the fact.
    await this.files.remove(packageId).catch(() => undefined);
    return ok({ ...viewOf(withdrawn, true), withdrawnAt: now });
  }

  /** A customer's view of their license's packages, and whether the license allows downloading them now. */
  async forLicense(
    licenseId: string,
    customerId: string,
  ): Promise<Result<{ items: PackageView[]; downloadable: boolean; reason?: { code: PackageCode; message: string } }>> {
    const license = await this.licenseOf(licenseId, customerId);
    if (!license) return noLicense(licenseId);
    const items = (await this.current().where('packages.product_id', '=', license.product_id).execute()).map((row) => viewOf(row, false));
    const refusal = this.notActive(license);
    return ok(
      refusal
        ? { items, downloadable: false, reason: { code: 'LICENSE_NOT_ACTIVE', message: refusal.detail } }
        : { items, downloadable: true },
    );
  }

  /** A signed download link for one package of the license's product, while the license is active; audited. */
  async link(
    licenseId: string,
    packageId: string,
    customer: { customerId: string; userId: string },
  ): Promise<Result<{ url: string; expiresAt: number }>> {
    const license = await this.licenseOf(licenseId, customer.customerId);
    if (!license) return noLicense(licenseId);
    const refusal = this.notActive(license);
    if (refusal) return refusal;
    const found = await this.current()
      .where('packages.id', '=', packageId)
      .where('packages.product_id', '=', license.product_id)
      .executeTakeFirst();
    if (!found) return noPackage(packageId);
    return ok(await this.signedLink(packageId, customer.userId, { licenseId }));
  }

  /**
   * The License Manager's packages (the built-in product, lm-packages.ts): every customer may download them,
   * whatever their licenses, as they need it to use any.
   */
  async forLm(): Promise<PackageView[]> {
    return (await this.current().where('products.slug', '=', LM_PRODUCT.slug).execute()).map((row) => viewOf(row, false));
  }

  /** A signed download link for one of the License Manager's packages, for any signed-in user; audited. */
  async lmLink(packageId: string, userId: string): Promise<Result<{ url: string; expiresAt: number }>> {
    const found = await this.current().where('packages.id', '=', packageId).where('products.slug', '=', LM_PRODUCT.slug).executeTakeFirst();
    if (!found) return noPackage(packageId);
    return ok(await this.signedLink(packageId, userId, { product: LM_PRODUCT.slug }));
  }

  /** A link to `packageId` that works for the configured minutes, its making audited with `data`. */
  private async signedLink(packageId: string, actor: string, data: Record<string, string>): Promise<{ url: string; expiresAt: number }> {
    const expires = Math.ceil((this.clock.now() + this.settings.linkMinutes * 60_000) / 1000);
    const expiresAt = expires * 1000;
    await this.audit.append({ actor, action: 'package.link_made', subject: packageId, data: { ...data, expiresAt } });
    const sig = this.links.sign(packageId, expires);
    return { url: `${this.settings.publicUrl}/downloads/${packageId}?expires=${expires}&sig=${sig}`, expiresAt };
  }

  /** What a signed link opens: the package and its open file. The caller streams and closes the file. */
  async download(packageId: string, expires: unknown, sig: unknown) {
    const verdict = this.links.verify(packageId, expires, sig, this.clock.now());
    if (verdict === 'invalid') {
      return fail('LINK_INVALID', "This download link is not valid (altered or cut short); make a new one on the license's page.");
    }
    if (verdict === 'expired') {
      return fail('LINK_EXPIRED', "This download link has expired; make a new one on the license's page (links last a few minutes).");
    }
    const row = await this.current().where('packages.id', '=', packageId).executeTakeFirst();
    const file = row ? await this.files.open(packageId) : null;
    if (!row || !file) return noPackage(packageId);
    return ok({ package: viewOf(row, false), file });
  }

  /** Names, the product and no current package of the same product, version and platform. */
  private async checkUpload(input: UploadInput): Promise<Result<{ id: string }>> {
    const bad = (detail: string) => fail('BAD_REQUEST', detail);
    if (!VERSION.test(input.version))
      return bad('The version must be 1 to 64 letters, digits, dots, plus signs, underscores or hyphens, e.g. 2.4.1.');
    if (!PLATFORM.test(input.platform))
      return bad('The platform must be 1 to 64 letters, digits, dots, underscores or hyphens, e.g. linux-amd64.');
    if (/[/\\]/.test(input.filename)) return bad('The filename must be a plain file name, without folders (no / or \\).');
    if (!FILENAME.test(input.filename))
      return bad(
        'The filename must be 1 to 200 letters, digits, dots, plus signs, underscores or hyphens, starting with a letter or digit, e.g. graphdb-2.4.1-linux-amd64.tar.gz.',
      );
    const product = await this.db.selectFrom('products').select('id').where('slug', '=', input.product).executeTakeFirst();
    if (!product) return noProduct(input.product);
    const taken = await this.current()
      .where('packages.product_id', '=', product.id)
      .where('version', '=', input.version)
      .where('platform', '=', input.platform)
      .executeTakeFirst();
    if (taken) return exists(input);
    return ok(product);
  }

  private current(db: Kysely<Database> = this.db) {
    return db
      .selectFrom('packages')
      .innerJoin('products', 'products.id', 'packages.product_id')
      .selectAll('packages')
      .select('products.slug as product')
      .where('packages.withdrawn_at', 'is', null)
      .orderBy('packages.uploaded_at', 'desc')
      .orderBy('packages.id', 'desc');
  }

  private licenseOf(licenseId: string, customerId: string) {
    return this.db
      .selectFrom('licenses')
      .select(['id', 'product_id', 'status', 'expires_at', 'warn_days', 'grace_days'])
      .where('id', '=', licenseId)
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
  }

  /** Downloads follow the license: active, expiring or in grace; not expired past grace, suspended or ended. */
  private notActive(license: {
    id: string;
    status: 'active' | 'suspended' | 'ended';
    expires_at: number;
    warn_days: number;
    grace_days: number;
  }): Failure | null {
    const state = licenseState(license, this.clock.now());
    if (DOWNLOADABLE.includes(state)) return null;
    const why =
      state === 'expired'
        ? `expired on ${new Date(license.expires_at).toISOString().slice(0, 10)} and its grace days are over; renew it`
        : `is ${state}; contact the vendor`;
    return fail('LICENSE_NOT_ACTIVE', `License ${license.id} ${why} to download its packages.`);
  }
}

function viewOf(row: PackageRow, staff: boolean): PackageView {
  return {
    id: row.id,
    product: row.product,
    version: row.version,
    platform: row.platform,
    filename: row.filename,
    size: Number(row.size),
    sha256: row.sha256,
    uploadedAt: Number(row.uploaded_at),
    ...(staff ? { uploadedBy: row.uploaded_by } : {}),
  };
}

const EMPTY = fail('BAD_REQUEST', 'The body is empty: send the file itself as the body (Content-Type: application/octet-stream).');
const INTERRUPTED = fail('BAD_REQUEST', 'The upload was interrupted before the whole file arrived; nothing was kept. Send it again.');
const exists = (input: UploadInput) =>
  fail(
    'PACKAGE_EXISTS',
    `${input.product} ${input.version} for ${input.platform} is uploaded already; withdraw it first to replace it, or use another version.`,
  );
const noProduct = (slug: string) => fail('NOT_FOUND', `There is no product ${slug}.`);
const noPackage = (id: string) => fail('NOT_FOUND', `There is no package ${id} (it may have been withdrawn).`);
const noLicense = (id: string) => fail('NOT_FOUND', `There is no license ${id}.`);
