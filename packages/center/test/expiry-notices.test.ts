/**
 * Expiry mail (issue 6 item 5, and the claimed expiry job of the License Center): customers are mailed 30, 7 and 1
 * days before a license expires and at expiry, once each per term, only the most urgent stage due, again after a
 * renewal; two instances running the job at once send each notice once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../src/services/accounts/accounts.js';
import { PasswordHasher } from '../src/services/accounts/passwords.js';
import { ExpiryNotices } from '../src/services/licenses/expiry-notices.js';
import { MailOutbox } from '../src/services/mail/mail.js';
import { Sessions } from '../src/services/accounts/sessions.js';
import { Throttle } from '../src/services/accounts/throttle.js';
import { DIALECTS } from './support/databases.js';
import { DAY, openLicensing, STAFF, T0, unwrap } from './support/licensing.js';
import type { Licensing } from './support/licensing.js';

const HOUR = 3_600_000;

describe.each(DIALECTS)('expiry notices on %s', (dialect) => {
  let opened: Licensing;
  let notices: ExpiryNotices;
  let mail: MailOutbox;
  let productId: string;
  const clock = { t: T0, now: () => clock.t };
  const masterKey = randomBytes(32);

  /** Subjects of the mails queued to `to`, oldest first. */
  const subjectsTo = async (to: string) =>
    (await opened.handle.db.selectFrom('mail_outbox').select('subject').where('to_address', '=', to).orderBy('created_at').execute())
      .map((m) => m.subject)
      .filter((subject) => /expire/.test(subject));

  /** A customer with one active user (registered through the real flow) and a license expiring at `expiresAt`. */
  const customerWithLicense = async (email: string, expiresAt: number) => {
    const { licenses, catalogue } = opened;
    const accounts = new Accounts({
      db: opened.handle.db,
      mail,
      audit: opened.audit,
      clock,
      publicUrl: 'https://lc.example',
      passwords: new PasswordHasher(),
      sessions: new Sessions({ db: opened.handle.db, clock }),
      throttle: new Throttle({ db: opened.handle.db, clock }),
    });
    const customer = unwrap(await catalogue.createCustomer({ name: email }, STAFF));
    unwrap(await accounts.inviteCustomer(customer.id, email, STAFF));
    const setup = await opened.handle.db.selectFrom('mail_outbox').select('text').where('to_address', '=', email).executeTakeFirstOrThrow();
    const { userId } = unwrap(
      await accounts.register(/#token=([\w-]+)/.exec(setup.text)![1]!, { name: 'U', password: 'correct-Horse-42' }),
    );
    const activation = await opened.handle.db
      .selectFrom('mail_outbox')
      .select('text')
      .where('to_address', '=', email)
      .where('subject', 'like', 'Activate%')
      .executeTakeFirstOrThrow();
    expect(unwrap(await accounts.activate(/#token=([\w-]+)/.exec(activation.text)![1]!)).userId).toBe(userId);
    const license = unwrap(
      await licenses.createLicense({ customerId: customer.id, productId, nodes: { query: 1 }, startsAt: clock.t, expiresAt }, STAFF),
    );
    return license.id;
  };

  beforeAll(async () => {
    opened = await openLicensing(dialect, clock, masterKey);
    mail = new MailOutbox({
      db: opened.handle.db,
      dialect: opened.handle.statements,
      settings: { smtp: null, from: 'lc@example.com', outboxDir: opened.target.dataDir },
      clock,
      instanceId: 'test',
    });
    notices = new ExpiryNotices({ db: opened.handle.db, mail, clock, publicUrl: 'https://lc.example' });
    productId = unwrap(
      await opened.catalogue.createProduct({ slug: 'graphdb', name: 'Graph DB', roles: ['query'], limits: [], features: [] }, STAFF),
    ).id;
  });
  afterAll(async () => {
    mail?.close();
    await opened?.close();
  });

  it('mails 30, 7 and 1 days before and at expiry, once each, and starts again after a renewal', async () => {
    clock.t = T0;
    const expiresAt = T0 + 40 * DAY;
    const licenseId = await customerWithLicense('ops@expiring.example', expiresAt);
    await notices.run();
    expect(await subjectsTo('ops@expiring.example')).toEqual([]);
    clock.t = expiresAt - 29 * DAY;
    await notices.run();
    await notices.run();
    expect(await subjectsTo('ops@expiring.example')).toEqual(['Your Graph DB license expires in 30 days']);
    clock.t = expiresAt - 6 * DAY;
    await notices.run();
    clock.t = expiresAt - 12 * HOUR;
    await notices.run();
    clock.t = expiresAt + HOUR;
    await notices.run();
    await notices.run();
    expect(await subjectsTo('ops@expiring.example')).toEqual([
      'Your Graph DB license expires in 30 days',
      'Your Graph DB license expires in 7 days',
      'Your Graph DB license expires in 1 day',
      'Your Graph DB license has expired',
    ]);
    // Renewed for a year: a new term, whose first notice comes 30 days before its end.
    const renewed = unwrap(await opened.licenses.renew(licenseId, 12, STAFF));
    await notices.run();
    expect((await subjectsTo('ops@expiring.example')).length).toBe(4);
    clock.t = renewed.expiresAt - 20 * DAY;
    await notices.run();
    expect((await subjectsTo('ops@expiring.example')).at(-1)).toBe('Your Graph DB license expires in 30 days');
  });

  it('sends only the most urgent notice due, and none for a suspended license', async () => {
    clock.t = T0 + 400 * DAY;
    await customerWithLicense('late@sale.example', clock.t + 5 * DAY);
    const suspended = await customerWithLicense('held@sale.example', clock.t + 5 * DAY);
    unwrap(await opened.licenses.setStatus(suspended, 'suspended', 'invoice overdue', STAFF));
    await notices.run();
    expect(await subjectsTo('late@sale.example')).toEqual(['Your Graph DB license expires in 7 days']);
    expect(await subjectsTo('held@sale.example')).toEqual([]);
  });

  it('sends each notice once when two instances run the job at the same time', async () => {
    clock.t = T0 + 800 * DAY;
    const emails = ['a@race.example', 'b@race.example', 'c@race.example'];
    for (const email of emails) await customerWithLicense(email, clock.t + 3 * DAY);
    const other = new ExpiryNotices({ db: opened.handle.db, mail, clock, publicUrl: 'https://lc.example' });
    const [one, two] = await Promise.all([notices.run(), other.run()]);
    expect(one + two).toBe(3);
    for (const email of emails) expect(await subjectsTo(email)).toEqual(['Your Graph DB license expires in 7 days']);
  });
});
