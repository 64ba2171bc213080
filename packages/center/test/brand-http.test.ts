/**
 * The vendor's brand over real HTTP on each dialect: the environment gives the defaults, an admin overrides them
 * (audited), everyone reads the public part, and the mails sent afterwards carry the sender and signature. Bad
 * values (markup in the name, a light colour, a logo that is not a small data: image) are refused naming the field,
 * other roles get 404, a customer too, nobody logged in 401.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCenterConfig } from '../src/config.js';
import { parseEml } from '../src/services/mail/eml.js';
import { NEUTRAL_BRAND } from '../src/services/brand/brand-rules.js';
import { DIALECTS } from './support/databases.js';
import { Client, staffWorld, startTestCenter } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';

const PNG = `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64')}`;
const ENV = { TESSERA_BRAND_NAME: 'Acme Software', TESSERA_SUPPORT_EMAIL: 'help@acme.example', TESSERA_BRAND_ACCENT: '#7A1F5C' };
const NONE = { name: null, logo: null, supportEmail: null, mailFrom: null, accent: null };

describe('brand settings from the environment', () => {
  const masterKey = { TESSERA_MASTER_KEY: 'x'.repeat(43) };
  it('are neutral when unset', () => {
    expect(loadCenterConfig({ data: '/tmp/unused' }, masterKey)).toMatchObject({
      ok: true,
      config: { brand: NEUTRAL_BRAND, mailFrom: null },
    });
  });
  it('name each bad value', () => {
    const bad = loadCenterConfig(
      { data: '/tmp/unused' },
      {
        ...masterKey,
        TESSERA_BRAND_NAME: 'Acme <script>',
        TESSERA_SUPPORT_EMAIL: 'nobody',
        TESSERA_BRAND_ACCENT: '#ffee00',
        TESSERA_BRAND_LOGO_FILE: '/nonexistent/logo.png',
      },
    );
    expect(!bad.ok && bad.problems).toEqual([
      'TESSERA_BRAND_NAME must not hold control characters, quotes, backslashes or < >.',
      'TESSERA_SUPPORT_EMAIL must be a mail address such as support@vendor.example.',
      'TESSERA_BRAND_ACCENT #ffee00 is too light: white text on it has a contrast of 1.2:1, and at least 4.5:1 is needed.',
      'TESSERA_BRAND_LOGO_FILE: cannot read /nonexistent/logo.png (ENOENT).',
    ]);
  });
});

describe.each(DIALECTS)('the brand over HTTP on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;

  beforeAll(async () => {
    tc = await startTestCenter(dialect, ENV);
    world = await staffWorld(tc);
  });
  afterAll(async () => {
    await tc?.close();
  });

  const mailsTo = async (address: string) => {
    await tc.center.services.mail.deliver();
    const dir = join(tc.target.dataDir, 'outbox');
    return readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => ({ ...parseEml(readFileSync(join(dir, f), 'utf8')), file: join(dir, f) }))
      .filter((m) => m.to === address);
  };

  it("answers the environment's brand to anyone, without the sender", async () => {
    const shown = await new Client(tc.center.url).get('/v1/brand');
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      name: 'Acme Software',
      logo: null,
      supportEmail: 'help@acme.example',
      accent: '#7a1f5c',
      accentDark: '#5f1848',
    });
    const settings = await world.admin.get('/v1/staff/brand');
    expect(settings.body.overrides).toEqual(NONE);
    expect(settings.body.defaults.mailFrom).toBe('Acme Software License Center <licensing@127.0.0.1>');
  });

  it('an admin overrides it; the public answer, the audit log and the next mails follow', async () => {
    const set = await world.admin.put('/v1/staff/brand', {
      ...NONE,
      name: 'Acme Cloud',
      logo: PNG,
      mailFrom: 'licensing@acme.example',
      accent: '#1d4ed8',
    });
    expect(set.status).toBe(200);
    expect(set.body.brand).toEqual({
      name: 'Acme Cloud',
      logo: PNG,
      supportEmail: 'help@acme.example',
      accent: '#1d4ed8',
      accentDark: '#173da8',
      mailFrom: 'Acme Cloud <licensing@acme.example>',
    });
    expect((await new Client(tc.center.url).get('/v1/brand')).body).toMatchObject({ name: 'Acme Cloud', logo: PNG });
    expect(await world.audited('brand')).toEqual([
      { action: 'brand.changed', name: 'Acme Cloud', logo: 'set', mailFrom: 'licensing@acme.example', accent: '#1d4ed8' },
    ]);

    await tc.center.services.accounts.inviteCustomer(world.customerId, 'new.user@acme.example', 'usr_test');
    const [mail] = await mailsTo('new.user@acme.example');
    expect(mail!.from).toBe('Acme Cloud <licensing@acme.example>');
    expect(mail!.subject).toBe('Set up your Customer of buyer@acme.example account at the Acme Cloud License Center');
    expect(mail!.text).toMatch(/\n-- \nAcme Cloud\nSupport: help@acme\.example\n$/);
    // The HTML part: the same link, under the brand's bar in its accent colour.
    const link = /(http:\/\/\S+\/setup#token=\S+)/.exec(mail!.text)![1]!;
    const html = (await simpleParser(readFileSync(mail!.file))).html as string;
    expect(html).toContain(`<a href="${link}">${link}</a>`);
    expect(html).toContain('background:#1d4ed8');

    // null goes back to the environment's value.
    const reset = await world.admin.put('/v1/staff/brand', NONE);
    expect(reset.body.brand).toMatchObject({ name: 'Acme Software', logo: null, accent: '#7a1f5c' });
  });

  it('refuses markup, a light colour and a logo that is not a small data: image, naming each; nothing changes', async () => {
    const before = (await world.admin.get('/v1/staff/brand')).body;
    const refused = await world.admin.put('/v1/staff/brand', {
      ...NONE,
      name: '<img src=x onerror=alert(1)>',
      logo: 'https://evil.example/logo.png',
      accent: '#ffee00',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('BAD_REQUEST');
    expect(refused.body.error.message).toMatch(/^name must not hold .* logo must be a data:image.* accent #ffee00 is too light/);
    const fake = await world.admin.put('/v1/staff/brand', {
      ...NONE,
      logo: `data:image/svg+xml;base64,${Buffer.from('<script>alert(1)</script>').toString('base64')}`,
    });
    expect(fake.body.error.message).toBe('logo does not hold a image/svg+xml image.');
    const big = await world.admin.put('/v1/staff/brand', {
      ...NONE,
      logo: `data:image/png;base64,${Buffer.alloc(49 * 1024).toString('base64')}`,
    });
    expect(big.status).toBe(400);
    expect((await world.admin.get('/v1/staff/brand')).body).toEqual(before);
  });

  it('is for admins only: other staff and customers get 404, nobody logged in 401', async () => {
    for (const client of [world.sales, world.support, world.customer]) {
      expect((await client.get('/v1/staff/brand')).status).toBe(404);
      expect((await client.put('/v1/staff/brand', { ...NONE, name: 'Mallory' })).status).toBe(404);
    }
    expect((await new Client(tc.center.url).put('/v1/staff/brand', { ...NONE, name: 'Mallory' })).status).toBe(401);
    expect((await new Client(tc.center.url).get('/v1/brand')).body.name).not.toBe('Mallory');
  });
});
