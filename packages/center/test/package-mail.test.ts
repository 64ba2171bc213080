/**
 * The purchase mail lists the installation packages: staff sell a contract over HTTP, and the "Setup License"
 * mail that a real SMTP server receives names each current package of the product (file, version, platform,
 * size, SHA-256) and the portal page of the license's downloads, never a signed link (mails outlive links).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { Client, PASSWORD, startTestCenter } from './support/http.js';
import type { TestCenter } from './support/http.js';
import { waitFor } from './support/processes.js';
import { SmtpReceiver } from './support/smtp.js';
import { upload } from './support/uploads.js';

describe.each(DIALECTS)('the purchase mail lists the packages, on %s', (dialect) => {
  let tc: TestCenter;
  let receiver: SmtpReceiver;

  beforeAll(async () => {
    receiver = new SmtpReceiver();
    await receiver.start();
    tc = await startTestCenter(dialect, { SMTP_URL: `smtp://127.0.0.1:${receiver.port}` });
  });
  afterAll(async () => {
    await tc?.close();
    await receiver?.stop();
  });

  /** The customer's user, registered and activated through the links the SMTP server received. */
  async function customerUser(email: string): Promise<string> {
    const { accounts, catalogue, mail } = tc.center.services;
    const created = await catalogue.createCustomer({ name: 'Acme' }, 'usr_test');
    if (!created.ok) throw new Error(created.detail);
    const linkOf = async (path: string) => {
      await mail.deliver();
      return waitFor(`the ${path} mail`, async () => receiver.linkFor(email, path), 10_000);
    };
    expect((await accounts.inviteCustomer(created.value.id, email, 'usr_test')).ok).toBe(true);
    const client = new Client(tc.center.url);
    expect((await client.post('/v1/auth/register', { token: await linkOf('setup'), name: 'Ops', password: PASSWORD })).status).toBe(201);
    expect((await client.post('/v1/auth/activate', { token: await linkOf('activate') })).status).toBe(200);
    return created.value.id;
  }

  it('the Setup License mail of a sale names every current package and the downloads page', async () => {
    const { client: admin } = await tc.staff('admin@vendor.example', 'admin');
    const product = await admin.post('/v1/staff/products', { slug: 'graphdb', name: 'Graph DB', roles: ['query'] });
    expect(product.status).toBe(201);
    const packages = [];
    for (const [platform, size] of [
      ['linux-amd64', 1_500_000],
      ['windows-x64', 900],
      ['darwin-arm64', 1000],
    ] as const) {
      tc.clock.t += 1000;
      const bytes = randomBytes(size);
      const q = { product: 'graphdb', version: '2.4.1', platform, filename: `graphdb-2.4.1-${platform}.tgz` };
      const answer = await upload(tc.center.url, admin, q, bytes);
      expect(answer.status).toBe(201);
      packages.push({ ...q, id: answer.body.package.id as string, size, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    // A withdrawn package is not offered.
    expect((await admin.delete(`/v1/staff/packages/${packages[2]!.id}`)).status).toBe(200);
    // The License Manager's packages, which every purchase mail lists too (the customer needs one to use any license).
    const lmDir = mkdtempSync(join(tmpdir(), 'tessera-mail-lm-'));
    const lmTarball = join(lmDir, 'tessera-lm-0.1.0-linux-x64.tar.gz');
    writeFileSync(lmTarball, gzipSync(randomBytes(2000)));
    const lm = await tc.center.services.lmPackages.publish([lmTarball], 'usr_test');
    rmSync(lmDir, { recursive: true, force: true });
    if (!lm.ok) throw new Error(lm.detail);

    const customerId = await customerUser('ops@acme.example');
    const sold = await admin.post('/v1/staff/contracts', {
      customerId,
      productId: product.body.id,
      term: '1y',
      autoRenew: false,
      quantities: { query: 2 },
    });
    expect(sold.status).toBe(201);
    const licenseId = sold.body.license.id as string;
    await tc.center.services.mail.deliver();
    const mail = await waitFor(
      'the Setup License mail',
      async () => receiver.received.find((m) => m.to.includes('ops@acme.example') && m.subject === 'Setup License: Graph DB'),
      10_000,
    );
    const text = mail.text.replace(/\r\n/g, '\n');
    expect(text).toContain(
      `download them while the license is active, from ${tc.center.services.config.publicUrl}/licenses/${licenseId}#downloads`,
    );
    for (const p of packages.slice(0, 2)) {
      expect(text).toContain(`- ${p.filename}: version 2.4.1, ${p.platform}, `);
      expect(text).toContain(`${p.size} bytes`);
      expect(text).toContain(`sha256 ${p.sha256}`);
    }
    expect(text).toContain('1.4 MiB (1500000 bytes)');
    expect(text).not.toContain(packages[2]!.filename);
    expect(text).toContain('The License Manager (tessera-lm), which runs next to the product and holds its license');
    expect(text).toContain(`- tessera-lm-0.1.0-linux-x64.tar.gz: version 0.1.0, linux-x64, `);
    expect(text).toContain(`sha256 ${lm.value[0]!.package.sha256}`);
    expect(text).not.toMatch(/\/downloads\/|sig=/);
  });
});
