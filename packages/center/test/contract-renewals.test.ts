/**
 * The auto-renew job for sales contracts (issue 6 item 2): a contract with auto-renew whose term ended is extended
 * by one term, its license's expiry follows with a higher serial, the customer is mailed; contracts without
 * auto-renew are left to end; two instances running the job at once renew each term once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractRenewals } from '../src/services/contracts/contract-renewals.js';
import { Contracts } from '../src/services/contracts/contracts.js';
import { addMonths } from '../src/services/licenses/license-rules.js';
import { MailOutbox } from '../src/services/mail/mail.js';
import { DIALECTS } from './support/databases.js';
import { DAY, openLicensing, STAFF, T0, unwrap } from './support/licensing.js';
import type { Licensing } from './support/licensing.js';

describe.each(DIALECTS)('contract auto-renewal on %s', (dialect) => {
  let opened: Licensing;
  let contracts: Contracts;
  let mail: MailOutbox;
  let renewals: ContractRenewals;
  let productId: string;
  const clock = { t: T0, now: () => clock.t };
  const masterKey = randomBytes(32);

  const sell = async (name: string, autoRenew: boolean, term: '1m' | '1y' = '1m') => {
    const customer = unwrap(await opened.catalogue.createCustomer({ name }, STAFF));
    await opened.handle.db
      .insertInto('users')
      .values({
        id: `usr_${randomBytes(8).toString('hex')}`,
        customer_id: customer.id,
        email: `${name}@renew.example`,
        name,
        password_hash: null,
        role: 'customer',
        status: 'active',
        created_at: clock.t,
        activated_at: clock.t,
      })
      .execute();
    return unwrap(await contracts.create({ customerId: customer.id, productId, term, autoRenew, quantities: { query: 2 } }, STAFF));
  };
  const mailsTo = async (to: string) =>
    (await opened.handle.db.selectFrom('mail_outbox').select('subject').where('to_address', '=', to).execute()).map((m) => m.subject);

  beforeAll(async () => {
    opened = await openLicensing(dialect, clock, masterKey);
    const { handle, licenses, audit, catalogue } = opened;
    contracts = new Contracts({ db: handle.db, licenses, audit, clock });
    mail = new MailOutbox({
      db: handle.db,
      dialect: handle.statements,
      settings: { smtp: null, from: 'lc@example.com', outboxDir: opened.target.dataDir },
      clock,
      instanceId: 't',
    });
    renewals = new ContractRenewals({ db: handle.db, licenses, audit, mail, clock, publicUrl: 'https://lc.example' });
    productId = unwrap(
      await catalogue.createProduct({ slug: 'graphdb', name: 'Graph DB', roles: ['query'], limits: [], features: [] }, STAFF),
    ).id;
  });
  afterAll(async () => {
    mail?.close();
    await opened?.close();
  });

  it('renews an auto-renew contract by one term at its end, the license following with a higher serial', async () => {
    clock.t = T0;
    const { contract, license } = await sell('auto', true);
    const manual = await sell('manual', false);
    // An installation package of the product (its row is what the mail reads), for the renewal mail to list.
    await opened.handle.db
      .insertInto('packages')
      .values({
        id: 'pkg_renewalmailtest0001',
        product_id: productId,
        version: '3.1.0',
        platform: 'linux-amd64',
        filename: 'graphdb-3.1.0.tgz',
        size: 2048,
        sha256: 'ab'.repeat(32),
        uploaded_at: clock.t,
        uploaded_by: STAFF,
        withdrawn_at: null,
        withdrawn_by: null,
      })
      .execute();
    expect(await renewals.run()).toBe(0);
    clock.t = contract.endsAt + DAY;
    expect(await renewals.run()).toBe(1);
    expect(await renewals.run()).toBe(0);
    const after = unwrap(await contracts.get(contract.id));
    expect(after.endsAt).toBe(addMonths(contract.endsAt, 1));
    const renewed = unwrap(await opened.licenses.get(license.id, { customerId: null }));
    expect(renewed).toMatchObject({ expiresAt: after.endsAt, serial: license.serial + 1, nodes: { query: 2 } });
    expect(await mailsTo('auto@renew.example')).toEqual([
      `Your Graph DB subscription renewed until ${new Date(after.endsAt).toISOString().slice(0, 10)}`,
    ]);
    const renewalMail = await opened.handle.db
      .selectFrom('mail_outbox')
      .select('text')
      .where('to_address', '=', 'auto@renew.example')
      .executeTakeFirstOrThrow();
    expect(renewalMail.text).toContain(`https://lc.example/licenses/${license.id}#downloads`);
    expect(renewalMail.text).toContain(
      `- graphdb-3.1.0.tgz: version 3.1.0, linux-amd64, 2.0 KiB (2048 bytes)\n  sha256 ${'ab'.repeat(32)}`,
    );
    expect((await opened.audit.list({ subject: contract.id })).map((e) => e.action)).toContain('contract.renewed');
    // Without auto-renew the contract and its license are left to end.
    expect(unwrap(await contracts.get(manual.contract.id)).endsAt).toBe(manual.contract.endsAt);
    expect(unwrap(await opened.licenses.get(manual.license.id, { customerId: null })).serial).toBe(manual.license.serial);
    expect(await mailsTo('manual@renew.example')).toEqual([]);
  });

  it('renews each term once when two instances run the job at the same time', async () => {
    clock.t = T0 + 1000 * DAY;
    // Only the contracts sold here are due: the earlier ones stop auto-renewing.
    await opened.handle.db.updateTable('contracts').set({ auto_renew: 0 }).execute();
    const sold = await Promise.all(['r1', 'r2', 'r3'].map((name) => sell(name, true, '1y')));
    clock.t = Math.max(...sold.map((s) => s.contract.endsAt)) + DAY;
    const other = new ContractRenewals({
      db: opened.handle.db,
      licenses: opened.licenses,
      audit: opened.audit,
      mail,
      clock,
      publicUrl: 'https://lc.example',
    });
    const [one, two] = await Promise.all([renewals.run(), other.run()]);
    expect(one + two).toBe(3);
    for (const { contract, license } of sold) {
      expect(unwrap(await contracts.get(contract.id)).endsAt).toBe(addMonths(contract.endsAt, 12));
      expect(unwrap(await opened.licenses.get(license.id, { customerId: null })).serial).toBe(license.serial + 1);
    }
  });
});
