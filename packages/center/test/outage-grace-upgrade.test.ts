/**
 * Upgrading a database the previous version wrote (migration 0008_outage_grace), on each dialect: its products get
 * 0 (strict) and its licenses follow them, so every license means what it was signed with; the text already signed
 * is kept and a fresh signing of the same serial gives the same bytes; the next change re-signs without the field;
 * a product made after the upgrade gets the new default of 72 hours.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueLicense, parseTrustBundle, readLicense } from '@tessera/core';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest, migrator } from '../src/db/migrations.js';
import { AuditLog } from '../src/services/audit/audit.js';
import { Catalogue } from '../src/services/catalogue/catalogue.js';
import { LicenseQueries } from '../src/services/licenses/license-queries.js';
import { Licenses } from '../src/services/licenses/licenses.js';
import { onlineKeyFor, onlineKeyHash } from '../src/services/licenses/online-keys.js';
import { SigningKeys } from '../src/services/trust/signing-keys.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { DAY, makeLm, STAFF, T0, unwrap } from './support/licensing.js';

describe.each(DIALECTS)('upgrading to outage grace on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  const masterKey = randomBytes(32);
  const clock = { now: () => T0 + DAY };

  beforeEach(async () => {
    target = await createTestDatabase(dialect);
    handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
  });
  afterEach(async () => {
    await handle.close();
    await target.drop();
  });

  it("keeps every product, license and signed text; existing products are strict, so no license's meaning changes", async () => {
    const { error } = await migrator(handle.db as never, dialect).migrateTo('0007_trust_roots');
    if (error) throw error;
    // What the previous version wrote: a product, a customer, and a bound license with its signed text.
    const keys = new SigningKeys({ db: handle.db, dialect: handle.statements, masterKey, clock });
    await keys.ensureActive();
    const lmid = makeLm().lmid;
    const id = 'lic_upgraded0000000001';
    const roles = JSON.stringify(['query', 'storage']);
    await sql`insert into products (id, slug, name, roles, limits, features, created_at)
      values ('prd_old0000000000000001', 'graphdb', 'Graph DB', ${roles}, '[]', '["scan"]', ${T0})`.execute(handle.db);
    await sql`insert into customers (id, name, created_at) values ('cus_old0000000000000001', 'Acme', ${T0})`.execute(handle.db);
    const previousText = unwrap(
      issueLicense(
        {
          id,
          serial: 2,
          product: 'graphdb',
          customer: { id: 'cus_old0000000000000001', name: 'Acme' },
          nodes: { query: 2, storage: 3 },
          limits: {},
          features: ['scan'],
          issuedAt: new Date(T0).toISOString(),
          startsAt: new Date(T0).toISOString(),
          expiresAt: new Date(T0 + 365 * DAY).toISOString(),
          warnDays: 30,
          graceDays: 14,
          mode: 'offline',
          lmid,
        },
        await keys.activeNow(),
      ),
    );
    await sql`insert into licenses (id, customer_id, contract_id, product_id, serial, nodes, limits, features, starts_at,
        expires_at, warn_days, grace_days, status, mode, lmid, online_key_hash, signed_text, signed_serial, created_at, updated_at)
      values (${id}, 'cus_old0000000000000001', null, 'prd_old0000000000000001', 2, '{"query":2,"storage":3}', '{}', '["scan"]',
        ${T0}, ${T0 + 365 * DAY}, 30, 14, 'active', 'offline', ${lmid}, ${onlineKeyHash(onlineKeyFor(masterKey, id))},
        ${previousText}, 2, ${T0}, ${T0})`.execute(handle.db);

    expect(await migrateToLatest(handle.db as never, dialect, { masterKey })).toEqual([
      '0008_outage_grace',
      '0009_lm_product',
      '0010_brand_settings',
    ]);
    const product = await handle.db
      .selectFrom('products')
      .selectAll()
      .where('id', '=', 'prd_old0000000000000001')
      .executeTakeFirstOrThrow();
    expect(product).toMatchObject({ id: 'prd_old0000000000000001', slug: 'graphdb', roles, outage_grace_hours: 0 });
    const row = await handle.db.selectFrom('licenses').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ serial: 2, lmid, outage_grace_hours: null, signed_text: previousText, signed_serial: 2 });

    const audit = new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey });
    const licenses = new Licenses({ db: handle.db, dialect: handle.statements, keys, audit, masterKey, clock });
    const catalogue = new Catalogue({ db: handle.db, dialect: handle.statements, licenses, audit, clock });
    const queries = new LicenseQueries({ db: handle.db, clock, masterKey });
    expect(unwrap(await queries.details(id, { customerId: null })).resources).toEqual({
      product: { id: 'prd_old0000000000000001', slug: 'graphdb', name: 'Graph DB' },
      nodes: { query: 2, storage: 3 },
      limits: {},
      features: ['scan'],
      outageGraceHours: 0,
      outageGraceOverride: null,
    });
    expect(unwrap(await licenses.key(id, { customerId: null }))).toEqual({ mode: 'offline', key: previousText });
    // Signed again for the same serial (another instance that never stored it): the same bytes as before the upgrade.
    await handle.db.updateTable('licenses').set({ signed_text: null, signed_serial: null }).where('id', '=', id).execute();
    expect(await licenses.signedText(id)).toBe(previousText);

    // The next change re-signs it as strict, without the field, as it was.
    expect(unwrap(await licenses.renew(id, 12, STAFF)).serial).toBe(3);
    const renewed = (await licenses.signedText(id))!;
    expect(JSON.parse(Buffer.from(renewed.split('.')[1]!, 'base64url').toString())).not.toHaveProperty('outageGraceHours');
    expect(readLicense(renewed, unwrap(parseTrustBundle(await keys.trustBundle())))).toMatchObject({
      ok: true,
      value: { serial: 3, outageGraceHours: 0 },
    });

    // A product defined after the upgrade gets the new default.
    const made = unwrap(
      await catalogue.createProduct({ slug: 'guard', name: 'Guard', roles: ['enforcer'], limits: [], features: [] }, STAFF),
    );
    expect(made.outageGraceHours).toBe(72);
  });
});
