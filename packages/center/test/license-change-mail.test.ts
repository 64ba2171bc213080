/**
 * Customers are told (issue 15 item 4), at a real SMTP server on each dialect: when staff change a license (features
 * and limits, expanded, renewed, suspended or resumed, mode switched, rebound) every active user of its customer gets
 * one mail per action — what changed in words, and what to do: for an offline license copy the new key from the
 * portal and load it with `tessera-lm load`, for an online one nothing (its next sync, or `tessera-lm sync`). The key
 * itself is never in the mail. A change that changes nothing mails nobody; a marketplace notice changing the term and
 * the nodes is one mail; the auto-renew job's own mail says what to do and is the only one; new content from a request
 * code is told; a revoked signing key tells an offline license's users to load the re-signed key.
 */
import { createRequestCode } from '@tessera/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { Client, PASSWORD, startTestCenter } from './support/http.js';
import type { TestCenter } from './support/http.js';
import { makeLm, unwrap } from './support/licensing.js';
import { waitFor } from './support/processes.js';
import { SmtpReceiver } from './support/smtp.js';
import type { ReceivedMail } from './support/smtp.js';

const DAY = 86_400_000;
const OPS = 'ops@acme.example';
const DEV = 'dev@acme.example';
const OTHER = 'it@globex.example';

describe.each(DIALECTS)('license change mails on %s', (dialect) => {
  let tc: TestCenter;
  let receiver: SmtpReceiver;
  let sales: Client;
  let support: Client;
  let guardId: string;
  let acme: string;
  let seen = 0;
  /** The mails to the other customer's user when it was set up (its invitation and activation). */
  let otherMails: string[] = [];

  /** A customer with a user per address, registered and activated through the links the SMTP server received. */
  async function customerWith(name: string, emails: string[]): Promise<string> {
    const { accounts, catalogue, mail } = tc.center.services;
    const customerId = unwrap(await catalogue.createCustomer({ name }, 'usr_test')).id;
    for (const email of emails) {
      const linkOf = async (path: string) => {
        await mail.deliver();
        return waitFor(`the ${path} mail`, async () => receiver.linkFor(email, path), 10_000);
      };
      expect((await accounts.inviteCustomer(customerId, email, 'usr_test')).ok).toBe(true);
      const client = new Client(tc.center.url);
      expect((await client.post('/v1/auth/register', { token: await linkOf('setup'), name, password: PASSWORD })).status).toBe(201);
      expect((await client.post('/v1/auth/activate', { token: await linkOf('activate') })).status).toBe(200);
    }
    return customerId;
  }

  /** A year of guard sold to `customerId` (2 enforcers, remote_clusters 2, scan), bound to a new License Manager. */
  async function boundSale(customerId: string, mode: 'online' | 'offline', autoRenew = false) {
    const sale = await sales.post('/v1/staff/contracts', {
      customerId,
      productId: guardId,
      term: '1y',
      autoRenew,
      quantities: { enforcer: 2 },
      limits: { remote_clusters: 2 },
      features: ['scan'],
      mode,
    });
    expect(sale.status, JSON.stringify(sale.body)).toBe(201);
    const lmid = makeLm().lmid;
    expect((await sales.post(`/v1/staff/licenses/${sale.body.license.id}/bind`, { lmid })).status).toBe(200);
    return { id: sale.body.license.id as string, contractId: sale.body.contract.id as string, lmid };
  }

  /** The mails received since the last call, once the outbox has sent all it holds. */
  async function newMails(): Promise<ReceivedMail[]> {
    const { db, mail } = tc.center.services;
    await mail.deliver();
    const queued = Number(
      (
        await db
          .selectFrom('mail_outbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    await waitFor(`${queued} mails at the SMTP server`, async () => receiver.received.length >= queued, 10_000);
    const fresh = receiver.received.slice(seen).map((m) => ({ ...m, text: m.text.replace(/\r\n/g, '\n') }));
    seen = receiver.received.length;
    return fresh;
  }
  const pending = async () =>
    Number(
      (
        await tc.center.services.db
          .selectFrom('mail_outbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('status', '=', 'pending')
          .executeTakeFirstOrThrow()
      ).n,
    );
  const keyOf = async (licenseId: string) => unwrap(await tc.center.services.licenses.key(licenseId, { customerId: null })).key;

  beforeAll(async () => {
    receiver = new SmtpReceiver();
    await receiver.start();
    tc = await startTestCenter(dialect, { SMTP_URL: `smtp://127.0.0.1:${receiver.port}` });
    const admin = (await tc.staff('admin@vendor.example', 'admin')).client;
    sales = (await tc.staff('sales@vendor.example', 'sales')).client;
    support = (await tc.staff('support@vendor.example', 'support')).client;
    const guard = await admin.post('/v1/staff/products', {
      slug: 'guard',
      name: 'Guard',
      roles: ['enforcer'],
      limits: ['remote_clusters'],
      features: ['scan', 'enforce', 'federation'],
    });
    expect(guard.status).toBe(201);
    guardId = guard.body.id;
    acme = await customerWith('Acme', [OPS, DEV]);
    await customerWith('Globex', [OTHER]);
    otherMails = (await newMails()).filter((m) => m.to.includes(OTHER)).map((m) => m.subject);
  });
  afterAll(async () => {
    await tc?.close();
    await receiver?.stop();
  });

  it('features and limits of an offline license: one mail per user of its customer, with the words and the load command, never the key', async () => {
    const license = await boundSale(acme, 'offline');
    await newMails();
    const changed = await sales.put(`/v1/staff/licenses/${license.id}/features-limits`, {
      features: ['scan', 'federation'],
      limits: { remote_clusters: 3 },
    });
    expect(changed.status).toBe(200);
    const mails = await newMails();
    expect(mails.map((m) => m.to).sort()).toEqual([[DEV], [OPS]]);
    const [mail] = mails;
    expect(mail!.subject).toBe('Your Guard license has changed: load the new key');
    expect(mail!.text).toContain(
      `Your Guard license ${license.id} has changed (offline mode, bound to License Manager ${license.lmid}; now serial ${changed.body.serial}).`,
    );
    expect(mail!.text).toContain('What changed:\n- limit remote_clusters 2 → 3\n- feature federation added\n');
    const url = `${tc.center.services.config.publicUrl}/licenses/${license.id}`;
    expect(mail!.text).toContain(`1. Copy the offline key: open ${url} and press "Copy offline key".`);
    expect(mail!.text).toContain(`2. On the host of License Manager ${license.lmid}, run\n     tessera-lm load --key -\n`);
    expect(mail!.text).toContain(`\`tessera-lm info\` then shows serial ${changed.body.serial}.`);
    // Neither the signed license (any part of it) nor the online key.
    const offlineKey = await keyOf(license.id);
    for (const part of offlineKey.split('.')) expect(mail!.text).not.toContain(part.slice(0, 24));
    const online = unwrap(await tc.center.services.licenses.setMode(license.id, 'online', { customerId: null }, 'usr_test'));
    expect(mail!.text).not.toContain(await keyOf(online.id));
    await newMails();
  });

  it('the same grant again and the mode it already has mail nobody', async () => {
    const license = await boundSale(acme, 'offline');
    await newMails();
    const before = await pending();
    expect(
      (await sales.put(`/v1/staff/licenses/${license.id}/features-limits`, { features: ['scan'], limits: { remote_clusters: 2 } })).status,
    ).toBe(200);
    expect((await sales.put(`/v1/staff/licenses/${license.id}/mode`, { mode: 'offline' })).status).toBe(200);
    expect(await pending()).toBe(before);
  });

  it('an online license: expanded, renewed, suspended, resumed — a mail each, saying the next sync or tessera-lm sync, never the key', async () => {
    const license = await boundSale(acme, 'online');
    await newMails();
    const onlineKey = await keyOf(license.id);
    const expectOne = async (subject: string, words: string[]) => {
      const mails = (await newMails()).filter((m) => m.to.includes(OPS));
      expect(mails.map((m) => m.subject)).toEqual([subject]);
      for (const w of words) expect(mails[0]!.text).toContain(`- ${w}\n`);
      expect(mails[0]!.text).not.toContain(onlineKey);
      return mails[0]!.text;
    };

    expect((await sales.post(`/v1/staff/licenses/${license.id}/expand`, { nodes: { enforcer: 3 } })).status).toBe(200);
    const expanded = await expectOne('Your Guard license has changed', ['enforcer nodes 2 → 5']);
    expect(expanded).toMatch(/Nothing: License Manager \S+ picks the change up at its next sync/);
    expect(expanded).toContain('sync interval (60 minutes unless syncIntervalMinutes in its configuration says otherwise)');
    expect(expanded).toContain('\n     tessera-lm sync\n');
    expect(expanded).not.toContain('load --key');

    expect((await sales.post(`/v1/staff/licenses/${license.id}/renew`, { months: 12 })).status).toBe(200);
    expect(await expectOne('Your Guard license has changed', [])).toMatch(/- expiry \d{4}-\d\d-\d\d → \d{4}-\d\d-\d\d\n/);

    expect((await sales.post(`/v1/staff/licenses/${license.id}/suspend`, { reason: 'Invoice 42 unpaid' })).status).toBe(200);
    const suspended = await expectOne('Your Guard license is suspended', ['suspended']);
    expect(suspended).toContain('its License Manager cannot sync it');
    // The reason is staff's: the customer is not mailed it.
    expect(suspended).not.toContain('Invoice 42');

    expect((await sales.post(`/v1/staff/licenses/${license.id}/resume`, { reason: 'Paid' })).status).toBe(200);
    await expectOne('Your Guard license is resumed', ['resumed']);
  });

  it('a mode switch and a rebind say to load the key the License Manager now needs', async () => {
    const license = await boundSale(acme, 'online');
    await newMails();
    expect((await sales.put(`/v1/staff/licenses/${license.id}/mode`, { mode: 'offline' })).status).toBe(200);
    let mail = (await newMails()).find((m) => m.to.includes(DEV))!;
    expect(mail.subject).toBe('Your Guard license has changed: load the new key');
    expect(mail.text).toContain('- mode online → offline\n');
    expect(mail.text).toContain('press "Copy offline key"');

    const moved = makeLm().lmid;
    const rebound = await support.post(`/v1/staff/licenses/${license.id}/rebind`, { lmid: moved, reason: 'Host replaced, ticket 7' });
    expect(rebound.status).toBe(200);
    mail = (await newMails()).find((m) => m.to.includes(DEV))!;
    expect(mail.text).toContain(`- License Manager ${license.lmid} → ${moved}\n`);
    expect(mail.text).toContain(`2. On the host of License Manager ${moved}, run\n     tessera-lm load --key -`);
    expect(mail.text).not.toContain('ticket 7');

    expect((await sales.put(`/v1/staff/licenses/${license.id}/mode`, { mode: 'online' })).status).toBe(200);
    mail = (await newMails()).find((m) => m.to.includes(DEV))!;
    expect(mail.subject).toBe('Your Guard license has changed');
    expect(mail.text).toContain('- mode offline → online\n');
    expect(mail.text).toContain('The License Manager needs the online key once');
    expect(mail.text).toContain('press "Copy online key"');
  });

  it("new content issued from a License Manager's request code for an existing license is told, with the load command", async () => {
    const sale = await sales.post('/v1/staff/contracts', {
      customerId: acme,
      productId: guardId,
      term: '1y',
      autoRenew: false,
      quantities: { enforcer: 1 },
      mode: 'offline',
    });
    expect(sale.status).toBe(201);
    const licenseId = sale.body.license.id as string;
    await newMails();
    const lm = makeLm();
    const code = unwrap(
      createRequestCode(
        {
          contact: { name: 'Ann Operator', email: 'ann@acme.example', phone: '+1 555 0100' },
          host: { hostname: 'guard-07', os: 'linux x64', lmVersion: '0.1.0' },
          product: 'guard',
          nodes: { enforcer: 3 },
          limits: {},
          features: ['enforce'],
          months: 12,
          createdAt: new Date(tc.clock.now()).toISOString(),
        },
        lm,
      ),
    );
    const issued = await sales.post('/v1/staff/request-codes/issue', {
      requestCode: code,
      customerId: acme,
      productId: guardId,
      licenseId,
      grant: { nodes: { enforcer: 3 }, limits: {}, features: ['enforce'], months: 12 },
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const mail = (await newMails()).find((m) => m.to.includes(OPS))!;
    expect(mail.subject).toBe('Your Guard license has changed: load the new key');
    expect(mail.text).toContain(`- bound to License Manager ${lm.lmid}\n`);
    expect(mail.text).toContain('- enforcer nodes 1 → 3\n- feature enforce added\n');
    expect(mail.text).toContain(`2. On the host of License Manager ${lm.lmid}, run\n     tessera-lm load --key -`);
    expect(mail.text).not.toContain(issued.body.offlineKey.split('.')[1].slice(0, 24));
  });

  it('a marketplace notice changing the term and the nodes is one mail naming both', async () => {
    const license = await boundSale(acme, 'online');
    await newMails();
    const { db, licenses } = tc.center.services;
    const expiresAt = Date.parse('2031-06-30T00:00:00Z');
    const after = await db
      .transaction()
      .execute((trx) =>
        licenses.setTerms(license.id, { expiresAt, nodes: { enforcer: 4 } }, 'marketplace:aws', { source: 'aws-marketplace' }, trx),
      );
    const serial = unwrap(after).serial;
    const mails = (await newMails()).filter((m) => m.to.includes(OPS));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toMatch(/- expiry \d{4}-\d\d-\d\d → 2031-06-30\n- enforcer nodes 2 → 4\n/);
    expect(mails[0]!.text).toContain(`now serial ${serial}`);
  });

  it('an auto-renewal is told once, by the renewal mail, with what to do for each license', async () => {
    const license = await boundSale(acme, 'offline', true);
    await newMails();
    const contract = (await sales.get(`/v1/staff/contracts/${license.contractId}`)).body as { endsAt: number };
    tc.clock.t = contract.endsAt + DAY;
    expect(await tc.center.services.contractRenewals.run()).toBeGreaterThanOrEqual(1);
    const mails = (await newMails()).filter((m) => m.to.includes(OPS) && m.text.includes(license.id));
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/^Your Guard subscription renewed until \d{4}-\d\d-\d\d$/)]);
    expect(mails[0]!.text).toContain(`License ${license.id}:\nLicense Manager ${license.lmid} works offline`);
    expect(mails[0]!.text).toContain('     tessera-lm load --key -');
  });

  it("a revoked signing key: an offline license's users are told to load the re-signed key, an online one's are not mailed", async () => {
    const offline = await boundSale(acme, 'offline');
    const online = await boundSale(acme, 'online');
    // Signed now (as a key read or a sync signs the current serial), by the key about to be revoked.
    for (const { id } of [offline, online]) expect(await tc.center.services.licenses.signedText(id)).not.toBeNull();
    await newMails();
    const { kid } = await tc.center.services.keys.activeNow();
    const revoked = unwrap(await tc.center.services.keyChanges.revoke(kid, 'usr_test'));
    expect(revoked.resigned.map((r) => r.licenseId)).toEqual(expect.arrayContaining([offline.id, online.id]));
    const mails = (await newMails()).filter((m) => m.to.includes(OPS));
    expect(mails.filter((m) => m.text.includes(online.id))).toEqual([]);
    const told = mails.filter((m) => m.text.includes(offline.id));
    expect(told.map((m) => m.subject)).toEqual(['Your Guard license has changed: load the new key']);
    expect(told[0]!.text).toContain(`- signed again with the vendor's current key (vendor key ${kid} was revoked)\n`);
    expect(told[0]!.text).toContain('     tessera-lm load --key -');
  });

  it('another customer is never mailed about these licenses', async () => {
    await newMails();
    expect(otherMails).toHaveLength(2);
    expect(receiver.received.filter((m) => m.to.includes(OTHER)).map((m) => m.subject)).toEqual(otherMails);
  });
});
