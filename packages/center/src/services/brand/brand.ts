/**
 * The vendor's brand as it is now: the staff portal's settings (one row, admins only, audited) over the
 * environment's (TESSERA_BRAND_*, TESSERA_SUPPORT_EMAIL, MAIL_FROM) over neutral defaults. Read from the database
 * each time, so every instance shows a change at once; it is one small row.
 */
import type { Kysely } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { Database } from '../../db/schema.js';
import type { AuditLog } from '../audit/audit.js';
import { checkOverrides, darker } from './brand-rules.js';
import type { Brand, BrandOverrides } from './brand-rules.js';

/** What anyone may read (GET /v1/brand): the portal's header, titles and colours, the support address. */
export interface PublicBrand extends Brand {
  /** The accent darkened, for hover and focus. */
  accentDark: string;
}

/** What admins see and set: the brand in effect, the environment's defaults, and the overrides. */
export interface BrandSettings {
  brand: PublicBrand & { mailFrom: string };
  defaults: Brand & { mailFrom: string };
  overrides: BrandOverrides;
}

const NO_OVERRIDES: BrandOverrides = { name: null, logo: null, supportEmail: null, mailFrom: null, accent: null };
const ROW = 'brand';

export class BrandService {
  constructor(
    private readonly options: {
      db: Kysely<Database>;
      audit: AuditLog;
      clock: Clock;
      /** The environment's brand. */
      defaults: Brand;
      /** MAIL_FROM as set, or null. */
      mailFrom: string | null;
      publicUrl: string;
    },
  ) {}

  async current(): Promise<PublicBrand & { mailFrom: string }> {
    return (await this.settings()).brand;
  }

  async settings(): Promise<BrandSettings> {
    const overrides = await this.overrides();
    const { defaults } = this.options;
    const brand: Brand = {
      name: overrides.name ?? defaults.name,
      logo: overrides.logo ?? defaults.logo,
      supportEmail: overrides.supportEmail ?? defaults.supportEmail,
      accent: overrides.accent ?? defaults.accent,
    };
    return {
      brand: { ...brand, accentDark: darker(brand.accent), mailFrom: this.sender(brand.name, overrides.mailFrom) },
      defaults: { ...defaults, mailFrom: this.sender(defaults.name, null) },
      overrides,
    };
  }

  /** Sets every override at once (null: the environment's value); admins only, checked by the route. Audited. */
  async update(next: BrandOverrides, actor: string): Promise<Result<BrandSettings>> {
    const problems = checkOverrides(next);
    if (problems.length) return fail('BAD_REQUEST', problems.join(' '));
    const before = await this.overrides();
    const changed = (Object.keys(NO_OVERRIDES) as (keyof BrandOverrides)[]).filter((key) => before[key] !== next[key]);
    if (changed.length === 0) return ok(await this.settings());
    const { db, audit, clock } = this.options;
    const row = {
      name: next.name,
      logo: next.logo,
      support_email: next.supportEmail,
      mail_from: next.mailFrom,
      accent: next.accent,
      updated_at: clock.now(),
      updated_by: actor,
    };
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('brand_settings')
        .values({ id: ROW, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      // The logo is named, never copied into the audit log (up to 48 KiB).
      const data = Object.fromEntries(changed.map((key) => [key, key === 'logo' ? (next.logo ? 'set' : 'removed') : next[key]]));
      await audit.append({ actor, action: 'brand.changed', subject: ROW, data }, trx);
    });
    return ok(await this.settings());
  }

  private async overrides(): Promise<BrandOverrides> {
    const row = await this.options.db.selectFrom('brand_settings').selectAll().where('id', '=', ROW).executeTakeFirst();
    if (!row) return NO_OVERRIDES;
    return { name: row.name, logo: row.logo, supportEmail: row.support_email, mailFrom: row.mail_from, accent: row.accent };
  }

  /** The From header: the set address under the brand's name, else MAIL_FROM as set, else licensing@ the public host. */
  private sender(name: string, address: string | null): string {
    if (address) return `${name} <${address}>`;
    return this.options.mailFrom ?? `${name} License Center <licensing@${new URL(this.options.publicUrl).hostname}>`;
  }
}
