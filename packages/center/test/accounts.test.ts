/**
 * Accounts service on each dialect: invitation, registration, activation, login throttling, reset, staff, API
 * tokens; and what is stored (argon2id hashes, token hashes only, no secret in the audit log).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { Accounts } from '../src/services/accounts.js';
import { AuditLog } from '../src/services/audit.js';
import { MailOutbox } from '../src/services/mail.js';
import { passwordProblem } from '../src/services/passwords.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const PASSWORD = 'correct-Horse-42';
const URL_BASE = 'https://lc.example.com';

describe('the password rule', () => {
  it('accepts 12 to 30 characters with letters, digits and special characters', () => {
    expect(passwordProblem(PASSWORD)).toBeNull();
    expect(passwordProblem('ab1!'.repeat(3))).toBeNull();
    expect(passwordProblem('ab1!'.repeat(7) + 'ab')).toBeNull();
  });
  it('names everything that is missing in one sentence', () => {
    expect(passwordProblem('short1!')).toMatch(/^The password is 7 characters long \(at least 12 are needed\): use 12 to 30/);
    expect(passwordProblem('abcdefghijklmn')).toMatch(/has no digit and no special character/);
    expect(passwordProblem('12345678901234')).toMatch(/has no letter and no special character/);
    expect(passwordProblem('abcdefghijk12')).toMatch(/has no special character/);
    expect(passwordProblem('abcdefghijk!!')).toMatch(/has no digit[^,]/);
    expect(passwordProblem('ab1!'.repeat(8))).toMatch(/is 32 characters long \(at most 30 are allowed\)/);
  });
});

describe.each(DIALECTS)('accounts on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  let accounts: Accounts;
  let customerId: string;
  const clock = { t: T0, now: () => clock.t };

  /** The token in the newest queued mail to `to` whose link has `path`. */
  const linkIn = async (to: string, path: string): Promise<string> => {
    const mails = await handle.db
      .selectFrom('mail_outbox')
      .selectAll()
      .where('to_address', '=', to)
      .orderBy('created_at', 'desc')
      .execute();
    for (const mail of mails) {
      const match = new RegExp(`${URL_BASE}/${path}#token=([A-Za-z0-9_-]+)`).exec(mail.text);
      if (match) return match[1]!;
    }
    throw new Error(`no ${path} mail to ${to}`);
  };
  const storedText = async () => {
    const tables = ['users', 'sessions', 'tokens', 'throttle', 'audit_events'] as const;
    const rows = await Promise.all(tables.map((t) => handle.db.selectFrom(t).selectAll().execute()));
    return JSON.stringify(rows);
  };
  const customerAccount = async (email: string): Promise<string> => {
    expect((await accounts.inviteCustomer(customerId, email, 'staff:test')).ok).toBe(true);
    const registered = await accounts.register(await linkIn(email, 'setup'), { name: 'Ada', password: PASSWORD });
    if (!registered.ok) throw new Error(registered.detail);
    expect((await accounts.activate(await linkIn(email, 'activate'))).ok).toBe(true);
    return registered.value.userId;
  };

  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    await migrateToLatest(handle.db as never, handle.dialect);
    const audit = new AuditLog({ db: handle.db, dialect: handle.dialect, clock, masterKey: randomBytes(32) });
    const mail = new MailOutbox({
      db: handle.db,
      settings: { smtp: null, from: 'lc@example.com', outboxDir: target.dataDir },
      clock,
      instanceId: 't',
    });
    accounts = new Accounts({ db: handle.db, mail, audit, clock, publicUrl: `${URL_BASE}/` });
    customerId = 'cus_test';
    await handle.db.insertInto('customers').values({ id: customerId, name: 'Acme', created_at: T0 }).execute();
  });
  beforeEach(() => {
    // Every test starts in a fresh throttle window.
    clock.t += HOUR;
  });
  afterAll(async () => {
    await handle?.close();
    await target?.drop();
  });

  it('invites, registers a pending account, activates it from the mail, and logs in', async () => {
    const invited = await accounts.inviteCustomer(customerId, ' Ada@Example.com ', 'staff:test');
    expect(invited.ok).toBe(true);
    const setup = await linkIn('ada@example.com', 'setup');
    expect(setup).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const registered = await accounts.register(setup, { name: 'Ada Lovelace', password: PASSWORD });
    if (!registered.ok) throw new Error(registered.detail);
    const pending = await accounts.login('ada@example.com', PASSWORD, '10.0.0.1');
    expect(pending).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    expect((await accounts.activate(await linkIn('ada@example.com', 'activate'))).ok).toBe(true);
    const login = await accounts.login('ADA@example.com', PASSWORD, '10.0.0.1');
    if (!login.ok) throw new Error(login.detail);
    expect(login.value.user).toMatchObject({ email: 'ada@example.com', role: 'customer', customerId, status: 'active' });
    const found = await accounts.authenticate({ sessionId: login.value.session.id });
    expect(found).toEqual({
      principal: { userId: registered.value.userId, role: 'customer', customerId, via: 'session' },
      csrfToken: login.value.session.csrfToken,
    });
    expect(login.value.session.expiresAt).toBe(clock.t + 12 * HOUR);
    await accounts.logout(login.value.session.id);
    expect(await accounts.authenticate({ sessionId: login.value.session.id })).toBeNull();
  });

  it('stores argon2id password hashes and only the hashes of tokens and sessions; no secret in the audit log', async () => {
    await accounts.inviteCustomer(customerId, 'grace@example.com', 'staff:test');
    const setup = await linkIn('grace@example.com', 'setup');
    await accounts.register(setup, { name: 'Grace', password: PASSWORD });
    const activation = await linkIn('grace@example.com', 'activate');
    await accounts.activate(activation);
    const user = await handle.db.selectFrom('users').selectAll().where('email', '=', 'grace@example.com').executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=65536,t=2,p=1\$/);
    await accounts.login('grace@example.com', 'wrong-Password-1', '10.0.0.2');
    const login = await accounts.login('grace@example.com', PASSWORD, '10.0.0.2');
    const staff = await accounts.createStaff('ops@example.com', 'admin', 'cli', { apiToken: true });
    if (!login.ok || !staff.ok) throw new Error('setup failed');
    const loginToken = new URL(staff.value.loginLink).hash.slice('#token='.length);
    const stored = await storedText();
    for (const secret of [setup, activation, login.value.session.id, staff.value.apiToken!, loginToken, PASSWORD, 'wrong-Password-1']) {
      expect(secret.length).toBeGreaterThan(10);
      expect(stored).not.toContain(secret);
    }
    expect(stored).toContain('login.failed');
  });

  it('refuses a weak password with what is missing, and keeps the setup link usable', async () => {
    await accounts.inviteCustomer(customerId, 'weak@example.com', 'staff:test');
    const setup = await linkIn('weak@example.com', 'setup');
    expect(await accounts.register(setup, { name: 'W', password: 'password' })).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
      detail: expect.stringMatching(/8 characters long.*no digit and no special character/),
    });
    expect((await accounts.register(setup, { name: 'W', password: PASSWORD })).ok).toBe(true);
  });

  it('keeps the setup link usable when the email chosen has an account already', async () => {
    await customerAccount('taken@example.com');
    await accounts.inviteCustomer(customerId, 'newcomer@example.com', 'staff:test');
    const setup = await linkIn('newcomer@example.com', 'setup');
    expect(await accounts.register(setup, { name: 'N', email: 'taken@example.com', password: PASSWORD })).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/taken@example\.com exists already/),
    });
    expect((await accounts.register(setup, { name: 'N', email: 'other@example.com', password: PASSWORD })).ok).toBe(true);
    expect((await accounts.register(setup, { name: 'N', email: 'third@example.com', password: PASSWORD })).ok).toBe(false);
  });

  it('uses every link once and not after it expires', async () => {
    await accounts.inviteCustomer(customerId, 'once@example.com', 'staff:test');
    const setup = await linkIn('once@example.com', 'setup');
    expect((await accounts.register(setup, { name: 'O', password: PASSWORD })).ok).toBe(true);
    expect(await accounts.register(setup, { name: 'O', password: PASSWORD })).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
      detail: expect.stringMatching(/used already/),
    });
    const activation = await linkIn('once@example.com', 'activate');
    clock.t += 2 * DAY + 1;
    expect(await accounts.activate(activation)).toMatchObject({ ok: false, detail: expect.stringMatching(/expired/) });
    expect(await accounts.activate('A'.repeat(43))).toMatchObject({ ok: false, detail: expect.stringMatching(/not valid/) });
    // A link of one kind is not a link of another.
    expect(await accounts.resetPassword(activation, PASSWORD)).toMatchObject({ ok: false, detail: expect.stringMatching(/not valid/) });
    await accounts.inviteCustomer(customerId, 'late@example.com', 'staff:test');
    const late = await linkIn('late@example.com', 'setup');
    clock.t += 7 * DAY + 1;
    expect(await accounts.register(late, { name: 'L', password: PASSWORD })).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/expired/),
    });
  });

  it('throttles an account after 5 failures in 15 minutes, even with the right password, and audits the failures', async () => {
    const userId = await customerAccount('throttled@example.com');
    for (let i = 0; i < 5; i++) {
      expect(await accounts.login('throttled@example.com', `wrong-Password-${i}`, `10.1.0.${i}`)).toMatchObject({
        ok: false,
        code: 'UNAUTHORIZED',
        detail: 'The email or password is wrong, or the account is not activated yet.',
      });
    }
    expect(await accounts.login('throttled@example.com', PASSWORD, '10.1.1.1')).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    clock.t += 15 * MINUTE + 1;
    expect((await accounts.login('throttled@example.com', PASSWORD, '10.1.1.1')).ok).toBe(true);
    const failures = await handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject', '=', userId)
      .where('action', '=', 'login.failed')
      .execute();
    expect(failures).toHaveLength(5);
    expect(JSON.parse(failures[0]!.data)).toEqual({ email: 'throttled@example.com', reason: 'wrong password' });
  });

  it('throttles an address after 20 failures in 15 minutes, over any accounts; unknown emails fail the same way', async () => {
    await customerAccount('victim@example.com');
    for (let i = 0; i < 20; i++) {
      const failed = await accounts.login(`nobody${i}@example.com`, PASSWORD, '10.2.0.1');
      expect(failed).toMatchObject({
        ok: false,
        code: 'UNAUTHORIZED',
        detail: 'The email or password is wrong, or the account is not activated yet.',
      });
    }
    expect(await accounts.login('victim@example.com', PASSWORD, '10.2.0.1')).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect((await accounts.login('victim@example.com', PASSWORD, '10.2.0.2')).ok).toBe(true);
  });

  it('resets a password by mail, ending every session; an unknown email gets the same answer and no mail', async () => {
    await customerAccount('reset@example.com');
    const before = await accounts.login('reset@example.com', PASSWORD, '10.3.0.1');
    if (!before.ok) throw new Error(before.detail);
    const mailsBefore = await handle.db.selectFrom('mail_outbox').select('id').execute();
    expect(await accounts.requestReset('unknown@example.com')).toEqual({ ok: true, value: { mailed: false } });
    expect(await handle.db.selectFrom('mail_outbox').select('id').execute()).toHaveLength(mailsBefore.length);
    expect((await accounts.requestReset('reset@example.com')).ok).toBe(true);
    const token = await linkIn('reset@example.com', 'reset');
    expect(await accounts.resetPassword(token, 'weak')).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect((await accounts.resetPassword(token, 'new-Password-99')).ok).toBe(true);
    expect(await accounts.authenticate({ sessionId: before.value.session.id })).toBeNull();
    expect((await accounts.login('reset@example.com', PASSWORD, '10.3.0.1')).ok).toBe(false);
    expect((await accounts.login('reset@example.com', 'new-Password-99', '10.3.0.1')).ok).toBe(true);
    expect(await accounts.resetPassword(token, 'other-Password-99')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/used already/),
    });
  });

  it('creates staff with a one-time login link and an API token that authenticates as a bearer', async () => {
    const created = await accounts.createStaff('Sales@Example.com', 'sales', 'cli', { apiToken: true });
    if (!created.ok) throw new Error(created.detail);
    expect(created.value.loginLink).toMatch(new RegExp(`^${URL_BASE}/login-link#token=[A-Za-z0-9_-]{43}$`));
    expect(created.value.apiToken).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
    const token = new URL(created.value.loginLink).hash.slice('#token='.length);
    const session = await accounts.useLoginLink(token);
    if (!session.ok) throw new Error(session.detail);
    expect(session.value.user).toMatchObject({ email: 'sales@example.com', role: 'sales', customerId: null });
    expect((await accounts.useLoginLink(token)).ok).toBe(false);
    expect(await accounts.authenticate({ bearer: created.value.apiToken! })).toEqual({
      principal: { userId: created.value.userId, role: 'sales', customerId: null, via: 'token' },
      csrfToken: null,
    });
    expect(await accounts.authenticate({ bearer: 'tsk_' + 'A'.repeat(43) })).toBeNull();
    expect(await accounts.authenticate({ bearer: token })).toBeNull();
    expect(await accounts.createStaff('sales@example.com', 'admin', 'cli')).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await accounts.createStaff('x@example.com', 'customer' as never, 'cli')).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    // Staff have no password until they reset one: a password login fails like any other.
    expect(await accounts.login('sales@example.com', '', '10.4.0.1')).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    const customerId2 = await customerAccount('nostaff@example.com');
    expect(await accounts.createApiToken(customerId2, 'ci')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const extra = await accounts.createApiToken(created.value.userId, 'ci');
    expect(extra.ok && extra.value.token).toMatch(/^tsk_/);
  });
});
