/**
 * The License Center serves the License Manager: its packages (the tarball and the .deb of npm run package) are
 * published under a built-in product with `tessera-center lm-packages publish`, and every customer, whatever
 * they bought, lists them and downloads them with a signed link. Purchase mails list them.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lmPackagesMailSection } from '../src/services/packages/package-mail.js';
import { LM_PRODUCT, lmPackageFile } from '../src/services/packages/lm-product.js';
import { openDatabase } from '../src/db/connect.js';
import { migrateToLatest, migrator } from '../src/db/migrations.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import { Client, startTestCenter } from './support/http.js';
import type { TestCenter } from './support/http.js';
import { BIN } from './support/processes.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Files named and shaped as npm run package makes them (a gzip stream, an ar archive), with random content. */
function lmFiles(dir: string, version = '0.1.0') {
  const tarball = { path: join(dir, `tessera-lm-${version}-linux-x64.tar.gz`), bytes: gzipSync(randomBytes(4000)) };
  const deb = { path: join(dir, `tessera-lm_${version}_amd64.deb`), bytes: Buffer.concat([Buffer.from('!<arch>\n'), randomBytes(3000)]) };
  for (const file of [tarball, deb]) writeFileSync(file.path, file.bytes);
  return { tarball, deb };
}

describe('the License Manager package names', () => {
  it('say the version and the platform: linux-x64 for the tarball, debian-amd64 for the .deb', () => {
    expect(lmPackageFile('tessera-lm-0.1.0-linux-x64.tar.gz')).toEqual({ version: '0.1.0', platform: 'linux-x64', kind: 'tarball' });
    expect(lmPackageFile('tessera-lm_1.2.0~rc.1_amd64.deb')).toEqual({ version: '1.2.0-rc.1', platform: 'debian-amd64', kind: 'deb' });
    expect(lmPackageFile('tessera-center-0.1.0-linux-x64.tar.gz')).toBeNull();
    expect(lmPackageFile('tessera-lm-0.1.0-linux-arm64.zip')).toBeNull();
  });
});

describe.each(DIALECTS)('the License Manager served by the License Center, on %s', (dialect) => {
  let tc: TestCenter;
  let dir: string;
  let files: ReturnType<typeof lmFiles>;

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    dir = mkdtempSync(join(tmpdir(), 'tessera-lm-packages-'));
    files = lmFiles(dir);
  });
  afterAll(async () => {
    await tc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a built-in product for which nothing can be sold', async () => {
    const products = await tc.center.services.catalogue.listProducts();
    expect(products.find((p) => p.slug === LM_PRODUCT.slug)).toMatchObject({ id: LM_PRODUCT.id, name: LM_PRODUCT.name, roles: [] });
    const { client: admin } = await tc.staff('admin@vendor.example', 'admin');
    const customer = await admin.post('/v1/staff/customers', { name: 'Acme' });
    const sold = await admin.post('/v1/staff/contracts', {
      customerId: customer.body.id,
      productId: LM_PRODUCT.id,
      term: '1y',
      autoRenew: false,
      quantities: { node: 1 },
    });
    expect([sold.status, sold.body.error.code]).toEqual([400, 'BAD_REQUEST']);
  });

  it('publishes the tarball and the .deb; the same files again change nothing, a changed file replaces its version', async () => {
    const { lmPackages, packages } = tc.center.services;
    const first = await lmPackages.publish([files.tarball.path, files.deb.path], 'usr_test');
    expect(first.ok && first.value.map((p) => [p.outcome, p.package.platform, p.package.sha256])).toEqual([
      ['published', 'linux-x64', sha256(files.tarball.bytes)],
      ['published', 'debian-amd64', sha256(files.deb.bytes)],
    ]);
    const again = await lmPackages.publish([files.tarball.path, files.deb.path], 'usr_test');
    expect(again.ok && again.value.map((p) => p.outcome)).toEqual(['unchanged', 'unchanged']);

    tc.clock.t += 1000;
    files.tarball.bytes = gzipSync(randomBytes(5000));
    writeFileSync(files.tarball.path, files.tarball.bytes);
    const replaced = await lmPackages.publish([files.tarball.path], 'usr_test');
    expect(replaced.ok && replaced.value.map((p) => p.outcome)).toEqual(['replaced']);
    const current = await packages.forLm();
    expect(current.map((p) => [p.filename, p.version, p.sha256])).toEqual([
      [`tessera-lm-0.1.0-linux-x64.tar.gz`, '0.1.0', sha256(files.tarball.bytes)],
      [`tessera-lm_0.1.0_amd64.deb`, '0.1.0', sha256(files.deb.bytes)],
    ]);
  });

  it('refuses a file that is not a License Manager package before publishing any', async () => {
    const { lmPackages, packages } = tc.center.services;
    const before = await packages.forLm();
    const other = join(dir, 'graphdb-2.4.1-linux-x64.tar.gz');
    writeFileSync(other, gzipSync(Buffer.from('x')));
    const named = await lmPackages.publish([lmFiles(dir, '0.2.0').tarball.path, other], 'usr_test');
    expect(named).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
      detail: expect.stringContaining('graphdb-2.4.1-linux-x64.tar.gz is not a License Manager package'),
    });
    const fake = join(dir, 'tessera-lm_0.3.0_amd64.deb');
    writeFileSync(fake, 'not an ar archive');
    expect(await lmPackages.publish([fake], 'usr_test')).toMatchObject({
      ok: false,
      detail: 'tessera-lm_0.3.0_amd64.deb is not a .deb (an ar archive).',
    });
    expect(await lmPackages.publish([join(dir, 'tessera-lm_0.4.0_amd64.deb')], 'usr_test')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('there is no such file'),
    });
    expect(await packages.forLm()).toEqual(before);
  });

  it('lets every customer, with no license at all, list the packages and download one with a signed link', async () => {
    const { client } = await tc.customer('ops@nolicense.example');
    const listed = await client.get('/v1/lm-packages');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((p: any) => p.platform)).toEqual(['linux-x64', 'debian-amd64']);
    expect(listed.body.items[0]).not.toHaveProperty('uploadedBy');

    const deb = listed.body.items[1];
    const link = await client.post(`/v1/lm-packages/${deb.id}/link`);
    expect(link.status).toBe(200);
    expect(link.headers.get('cache-control')).toBe('no-store');
    const { pathname, search } = new URL(link.body.url);
    const download = await fetch(`${tc.center.url}${pathname}${search}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="tessera-lm_0.1.0_amd64.deb"`);
    expect(download.headers.get('x-checksum-sha256')).toBe(deb.sha256);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(files.deb.bytes));
    const audited = await tc.center.services.db
      .selectFrom('audit_events')
      .select(['actor', 'data'])
      .where('action', '=', 'package.link_made')
      .where('subject', '=', deb.id)
      .execute();
    expect(audited).toHaveLength(1);
    expect(JSON.parse(audited[0]!.data!)).toMatchObject({ product: 'tessera-lm' });
  });

  it("answers a product's package, a missing one and an anonymous caller as the license routes do", async () => {
    const { client: admin } = await tc.staff('sales@vendor.example', 'admin');
    await admin.post('/v1/staff/products', { slug: 'graphdb', name: 'Graph DB', roles: ['query'] });
    const { Readable } = await import('node:stream');
    const graphdb = await tc.center.services.packages.upload(
      { product: 'graphdb', version: '2.4.1', platform: 'linux-amd64', filename: 'graphdb.tar.gz' },
      Readable.from([Buffer.from('graphdb bytes')]),
      null,
      'usr_test',
    );
    if (!graphdb.ok) throw new Error(graphdb.detail);
    const { client } = await tc.customer('ops@other.example');
    expect((await client.post(`/v1/lm-packages/${graphdb.value.id}/link`)).status).toBe(404);
    expect((await client.post('/v1/lm-packages/pkg_00000000000000000000/link')).status).toBe(404);
    expect((await client.get('/v1/lm-packages')).body.items.map((p: any) => p.filename)).not.toContain('graphdb.tar.gz');
    const anonymous = new Client(tc.center.url);
    expect((await anonymous.get('/v1/lm-packages')).status).toBe(401);
    expect((await anonymous.post(`/v1/lm-packages/${graphdb.value.id}/link`)).status).toBe(401);
  });

  it('lists them in purchase mails, newest of each platform, with the downloads page', async () => {
    const section = await lmPackagesMailSection(tc.center.services.db, 'lic_example', 'https://lc.example');
    expect(section).toContain('https://lc.example/licenses/lic_example#downloads');
    expect(section).toContain(`- tessera-lm-0.1.0-linux-x64.tar.gz: version 0.1.0, linux-x64, `);
    expect(section).toContain(`sha256 ${sha256(files.tarball.bytes)}`);
    expect(section).toContain(`- tessera-lm_0.1.0_amd64.deb: version 0.1.0, debian-amd64, `);
    tc.clock.t += 1000;
    const newer = lmFiles(dir, '0.2.0');
    await tc.center.services.lmPackages.publish([newer.tarball.path], 'usr_test');
    const after = await lmPackagesMailSection(tc.center.services.db, 'lic_example', 'https://lc.example');
    expect(after).toContain('tessera-lm-0.2.0-linux-x64.tar.gz');
    expect(after).not.toContain('tessera-lm-0.1.0-linux-x64.tar.gz');
    expect(after).toContain('tessera-lm_0.1.0_amd64.deb');
  });
});

describe.each(DIALECTS)('the built-in product on an upgraded database, on %s', (dialect) => {
  it('is added by migration 0009, which takes a product the vendor made with its slug before as it is', async () => {
    const target = await createTestDatabase(dialect);
    const handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    try {
      const { error } = await migrator(handle.db as never, dialect).migrateTo('0008_outage_grace');
      expect(error).toBeUndefined();
      const vendors = {
        id: 'prd_vendorsown',
        slug: 'tessera-lm',
        name: 'Our LM',
        roles: '["node"]',
        limits: '[]',
        features: '[]',
        outage_grace_hours: 72,
        created_at: 1,
      };
      await handle.db.insertInto('products').values(vendors).execute();
      expect(await migrateToLatest(handle.db as never, dialect)).toEqual(['0009_lm_product', '0010_brand_settings']);
      expect(await handle.db.selectFrom('products').selectAll().execute()).toEqual([{ ...vendors, created_at: expect.anything() }]);
    } finally {
      await handle.close();
      await target.drop();
    }
  });
});

describe('tessera-center lm-packages', () => {
  it('publishes from the command line, says what it did, and lists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-lm-cli-'));
    try {
      const files = lmFiles(dir);
      const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_MASTER_KEY: '' };
      delete env.DATABASE_URL;
      const run = (...args: string[]) => spawnSync(BIN, ['--data', join(dir, 'data'), ...args], { encoding: 'utf8', env, timeout: 30_000 });
      const published = run('lm-packages', 'publish', files.tarball.path, files.deb.path);
      expect(published.stderr).toBe('');
      expect(published.status).toBe(0);
      expect(published.stdout).toMatch(
        /^published tessera-lm-0\.1\.0-linux-x64\.tar\.gz: Tessera License Manager 0\.1\.0, linux-x64, \d\.\d KiB \(\d+ bytes\)$/m,
      );
      expect(published.stdout).toContain(`sha256 ${sha256(files.deb.bytes)}`);
      expect(run('lm-packages', 'publish', files.deb.path).stdout).toMatch(/^unchanged tessera-lm_0\.1\.0_amd64\.deb/);
      const listed = JSON.parse(run('--json', 'lm-packages', 'list').stdout);
      expect(listed.map((p: any) => p.filename).sort()).toEqual(['tessera-lm-0.1.0-linux-x64.tar.gz', 'tessera-lm_0.1.0_amd64.deb']);
      const refused = run('lm-packages', 'publish', join(dir, 'notes.txt'));
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe(
        'tessera-center: notes.txt is not a License Manager package of npm run package: tessera-lm-<version>-linux-x64.tar.gz or tessera-lm_<version>_amd64.deb.\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
