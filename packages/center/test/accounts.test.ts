/**
 * Accounts service on each dialect: invitation, registration, activation, login throttling, reset, staff, API
 * tokens; and what is stored (argon2id hashes, token hashes only, no secret in the audit log). Argon2 runs for
 * real; the tests count its calls through the hashing the service is given.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import type { DatabaseHandle } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrations.js';
import { ACCOUNT_LIMIT, Accounts } from '../src/services/accounts/accounts.js';
import { AuditLog } from '../src/services/audit/audit.js';
import { MailOutbox } from '../src/services/mail/mail.js';
import { Sessions } from '../src/services/accounts/sessions.js';
import { Throttle } from '../src/services/accounts/throttle.js';
import { ARGON2, DEFAULT_HASHING_LIMITS, PasswordHasher, passwordProblem } from '../src/services/accounts/passwords.js';
import type { PasswordWork } from '../src/services/accounts/passwords.js';
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
  /** A second connection pool on PostgreSQL, as another LC instance has; on SQLite instances share the handle. */
  let other: DatabaseHandle;
  let accounts: Accounts;
  /** The same accounts as another LC instance sees them: its own pool, its own hasher. */
  let secondInstance: Accounts;
  let customerId: string;
  const clock = { t: T0, now: () => clock.t };
  const masterKey = randomBytes(32);
  /** Real argon2, counted: every hash and verification of both instances. */
  const calls = { hashes: 0, verifications: 0 };
  const counted: PasswordWork = {
    hash: (password) => {
      calls.hashes++;
      return ARGON2.hash(password);
    },
    verify: (stored, password) => {
      calls.verifications++;
      return ARGON2.verify(stored, password);
    },
  };

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
  const throttledEvents = (email: string) =>
    handle.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'login.throttled')
      .execute()
      .then((rows) => rows.filter((row) => (JSON.parse(row.data) as { email: string }).email === email));
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

  const instance = (db: DatabaseHandle, name: string) =>
    new Accounts({
      db: db.db,
      mail: new MailOutbox({
        db: db.db,
        dialect: db.statements,
        settings: { smtp: null, from: 'lc@example.com', outboxDir: target.dataDir },
        clock,
        instanceId: name,
      }),
      audit: new AuditLog({ db: db.db, dialect: db.statements, clock, masterKey }),
      clock,
      publicUrl: `${URL_BASE}/`,
      passwords: new PasswordHasher(DEFAULT_HASHING_LIMITS, counted),
      sessions: new Sessions({ db: db.db, clock }),
      throttle: new Throttle({ db: db.db, clock }),
    });

  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
    await migrateToLatest(handle.db as never, handle.dialect);
    // better-sqlite3 waits for a lock synchronously: LC instances on SQLite are separate processes, not two handles.
    other = dialect === 'postgres' ? openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir }) : handle;
    accounts = instance(handle, 'lc-1');
    secondInstance = instance(other, 'lc-2');
    customerId = 'cus_test';
    await handle.db.insertInto('customers').values({ id: customerId, name: 'Acme', created_at: T0 }).execute();
  });
  beforeEach(() => {
    // Every test starts in a fresh throttle window.
    clock.t += HOUR;
  });
  afterAll(async () => {
    if (other !== handle) await other?.close();
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
    for (let i = 0; i < 4; i++) {
      expect(await accounts.login('throttled@example.com', PASSWORD, `10.1.1.${i}`)).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    }
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
    // Four refused attempts, one audit row: the start of the episode.
    expect((await throttledEvents('throttled@example.com')).map((e) => JSON.parse(e.data))).toEqual([
      { email: 'throttled@example.com', limit: 'account' },
    ]);
  });

  it('counts 200 parallel wrong passwords for one account before hashing: argon2 runs the budget, 5 times, over two instances', async () => {
    const userId = await customerAccount('flood@example.com');
    const before = calls.verifications;
    // From 200 addresses, so only the account's budget holds them back.
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? secondInstance : accounts).login('flood@example.com', `wrong-Password-${i}`, `10.9.0.${i}`),
      ),
    );
    expect(calls.verifications - before).toBe(ACCOUNT_LIMIT.max);
    const codes = answers.map((a) => (a.ok ? 'ok' : a.code));
    expect(codes.filter((c) => c === 'UNAUTHORIZED')).toHaveLength(ACCOUNT_LIMIT.max);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(200 - ACCOUNT_LIMIT.max);
    // The right password too is refused now, and costs no hashing either.
    expect(await secondInstance.login('flood@example.com', PASSWORD, '10.9.1.1')).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect(calls.verifications - before).toBe(ACCOUNT_LIMIT.max);
    const failed = await handle.db
      .selectFrom('audit_events')
      .select('seq')
      .where('subject', '=', userId)
      .where('action', '=', 'login.failed')
      .execute();
    expect(failed).toHaveLength(ACCOUNT_LIMIT.max);
    expect(await throttledEvents('flood@example.com')).toHaveLength(1);
    expect(await new AuditLog({ db: handle.db, dialect: handle.statements, clock, masterKey }).verify()).toMatchObject({ ok: true });
  });

  it('checks a setup or reset link before hashing a password: a made-up, used or expired link costs no argon2', async () => {
    await customerAccount('linkfirst@example.com');
    const usedSetup = await linkIn('linkfirst@example.com', 'setup');
    expect((await accounts.requestReset('linkfirst@example.com')).ok).toBe(true);
    const reset = await linkIn('linkfirst@example.com', 'reset');
    const before = calls.hashes;
    expect(await accounts.register('A'.repeat(43), { name: 'M', password: PASSWORD })).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
      detail: expect.stringMatching(/setup link is not valid/),
    });
    expect(await accounts.register(usedSetup, { name: 'M', password: PASSWORD })).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/used already/),
    });
    expect(await accounts.resetPassword('B'.repeat(43), 'new-Password-99')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/reset link is not valid/),
    });
    clock.t += HOUR + 1;
    expect(await accounts.resetPassword(reset, 'new-Password-99')).toMatchObject({ ok: false, detail: expect.stringMatching(/expired/) });
    expect(calls.hashes).toBe(before);
    // A good link is hashed for, once.
    expect((await accounts.requestReset('linkfirst@example.com')).ok).toBe(true);
    expect((await accounts.resetPassword(await linkIn('linkfirst@example.com', 'reset'), 'new-Password-99')).ok).toBe(true);
    expect(calls.hashes).toBe(before + 1);
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

  it('counts an IPv6 client by its /64: twenty failures from twenty of its addresses throttle the whole /64', async () => {
    await customerAccount('v6@example.com');
    for (let i = 0; i < 20; i++) {
      expect(await accounts.login(`nobody-v6-${i}@example.com`, PASSWORD, `2001:db8:7:7::${(i + 1).toString(16)}`)).toMatchObject({
        ok: false,
        code: 'UNAUTHORIZED',
      });
    }
    expect(await accounts.login('v6@example.com', PASSWORD, '2001:db8:7:7:ffff::1')).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect((await accounts.login('v6@example.com', PASSWORD, '2001:db8:7:8::1')).ok).toBe(true);
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
