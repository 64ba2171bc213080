/**
 * Accounts: customers invited by a setup link, registering and activating by mail; staff created with a role and
 * a one-time login link; login with throttling per account and per address; password reset; API tokens for
 * automation. Every link and token is a secret of which only the SHA-256 is stored, and every one-time link is
 * used once (a conditional update, so two instances cannot both use it). Staff accounts once created (the list,
 * roles, disabling, revoking tokens) are StaffUsers', in staff-users.ts.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { Database, UsersTable } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { AuditLog } from '../audit/audit.js';
import type { MailOutbox } from '../mail/mail.js';
import { textProblem } from '../licenses/license-rules.js';
import { passwordProblem } from './passwords.js';
import type { PasswordHasher } from './passwords.js';
import { PasswordLogins } from './password-logins.js';
import {
  API_TOKEN_PREFIX,
  checkOneTimeToken,
  consumeOneTimeToken,
  issueOneTimeToken,
  newSecret,
  secretHash,
  STAFF_ROLES,
} from './sessions.js';
import type { Principal, Session, Sessions, StaffRole } from './sessions.js';
import type { Throttle } from './throttle.js';
import { Refusal, rollingBack } from '../refusal.js';

export type { Principal, Session, StaffRole } from './sessions.js';
export { ACCOUNT_LIMIT, ADDRESS_LIMIT } from './password-logins.js';
export type { ApiTokenView, StaffUserView } from './staff-users.js';

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: UsersTable['role'];
  customerId: string | null;
  status: UsersTable['status'];
}

export interface LoggedIn {
  user: UserView;
  session: Session;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{1,60}$/;

export class Accounts {
  private readonly sessions: Sessions;
  private readonly db: Kysely<Database>;
  private readonly mail: MailOutbox;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  private readonly passwords: PasswordHasher;
  private readonly logins: PasswordLogins;
  readonly publicUrl: string;
  private readonly centerName: () => Promise<string>;

  constructor(options: {
    db: Kysely<Database>;
    mail: MailOutbox;
    audit: AuditLog;
    clock: Clock;
    publicUrl: string;
    /** The process's one hasher: every hash and verification shares its cap. */
    passwords: PasswordHasher;
    sessions: Sessions;
    throttle: Throttle;
    /** "Acme Software License Center": the brand's name in the mails' subjects (read per mail: it may change). */
    centerName?: () => Promise<string>;
  }) {
    this.centerName = options.centerName ?? (async () => 'Tessera License Center');
    this.db = options.db;
    this.mail = options.mail;
    this.audit = options.audit;
    this.clock = options.clock;
    this.passwords = options.passwords;
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.sessions = options.sessions;
    this.logins = new PasswordLogins({
      db: options.db,
      throttle: options.throttle,
      passwords: options.passwords,
      sessions: this.sessions,
      audit: options.audit,
    });
  }

  /**
   * Mails a setup link (valid 7 days) with which someone at the customer registers an account; `more` is added to
   * the mail (a marketplace purchase's installation packages).
   */
  async inviteCustomer(customerId: string, email: string, actor: string, more = ''): Promise<Result<{ tokenId: string }>> {
    const address = normalEmail(email);
    if (!address) return fail('BAD_REQUEST', 'The email must be an address like name@example.com.');
    // Read before the transaction: on SQLite a second read inside it would wait for the transaction itself.
    const center = await this.centerName();
    return this.db.transaction().execute(async (trx) => {
      const customer = await trx.selectFrom('customers').select(['id', 'name']).where('id', '=', customerId).executeTakeFirst();
      if (!customer) return fail('NOT_FOUND', `There is no customer ${customerId}.`);
      const { id, link } = await issueOneTimeToken(trx, 'setup', { customerId, email: address }, this.clock.now(), this.publicUrl);
      await this.mail.enqueue(
        {
          to: address,
          subject: `Set up your ${customer.name} account at the ${center}`,
          text: `You are invited to manage ${customer.name}'s licenses.\n\nChoose your password here (the link works once, for 7 days):\n${link}\n${more}`,
        },
        trx,
      );
      await this.audit.append({ actor, action: 'customer.invited', subject: customerId, data: { email: address, tokenId: id } }, trx);
      return ok({ tokenId: id });
    });
  }

  /** Creates a pending customer account from a setup link and mails the activation link (valid 2 days). */
  async register(setupToken: string, input: { name: string; email?: string; password: string }): Promise<Result<{ userId: string }>> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 200) return fail('BAD_REQUEST', 'The name must be 1 to 200 characters.');
    const problem = passwordProblem(input.password);
    if (problem) return fail('BAD_REQUEST', problem);
    if (input.email !== undefined && !normalEmail(input.email))
      return fail('BAD_REQUEST', 'The email must be an address like name@example.com.');
    // The link before the hash: a made-up link must not cost 64 MiB of argon2.
    const usable = await checkOneTimeToken(this.db, 'setup', setupToken, this.clock.now());
    if (!usable.ok) return usable;
    const center = await this.centerName();
    // Hashed before the transaction: the ~40 ms of argon2 should not hold the database's write lock.
    const hashed = await this.passwords.hash(input.password);
    if (!hashed.ok) return hashed;
    const passwordHash = hashed.value;
    // A refusal after the link was consumed rolls the transaction back, so the link still works for a second try.
    return rollingBack(this.db, async (trx) => {
      const token = await consumeOneTimeToken(trx, 'setup', setupToken, this.clock.now());
      if (!token.ok) return token;
      const email = normalEmail(input.email ?? token.value.email ?? '');
      if (!email || !token.value.customer_id) throw new Refusal(fail('BAD_REQUEST', 'The setup link names no email; ask for a new one.'));
      const taken = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
      // Only someone holding a setup link learns this; they need it to pick another address.
      if (taken) throw new Refusal(fail('BAD_REQUEST', `An account with the email ${email} exists already; log in or reset its password.`));
      const userId = newId('usr_');
      await trx
        .insertInto('users')
        .values({
          id: userId,
          customer_id: token.value.customer_id,
          email,
          name,
          password_hash: passwordHash,
          role: 'customer',
          status: 'pending',
          created_at: this.clock.now(),
          activated_at: null,
        })
        .execute();
      const { link } = await issueOneTimeToken(trx, 'activation', { userId, email }, this.clock.now(), this.publicUrl);
      await this.mail.enqueue(
        {
          to: email,
          subject: `Activate your ${center} account`,
          text: `Activate your account (the link works for 2 days):\n${link}\n`,
        },
        trx,
      );
      await this.audit.append(
        { actor: userId, action: 'user.registered', subject: userId, data: { customerId: token.value.customer_id, email } },
        trx,
      );
      return ok({ userId });
    });
  }

  async activate(activationToken: string): Promise<Result<{ userId: string }>> {
    return this.db.transaction().execute(async (trx) => {
      const token = await consumeOneTimeToken(trx, 'activation', activationToken, this.clock.now());
      if (!token.ok) return token;
      const userId = token.value.user_id!;
      await trx
        .updateTable('users')
        .set({ status: 'active', activated_at: this.clock.now() })
        .where('id', '=', userId)
        .where('status', '=', 'pending')
        .execute();
      await this.audit.append({ actor: userId, action: 'user.activated', subject: userId }, trx);
      return ok({ userId });
    });
  }

  /**
   * A session for the right email and password of an active account. After 5 failures for an account, or 20 from
   * an address, within 15 minutes, every attempt is refused (even with the right password) until the window ends;
   * attempts are counted before the password is checked (password-logins.ts).
   */
  async login(email: string, password: string, ip: string): Promise<Result<LoggedIn>> {
    const address = normalEmail(email) ?? email.trim().toLowerCase().slice(0, 320);
    const done = await this.logins.login(address, password, ip);
    return done.ok ? ok({ user: viewOf(done.value.user), session: done.value.session }) : done;
  }

  async logout(sessionId: string): Promise<void> {
    await this.sessions.end(sessionId);
  }

  /** Mails a reset link (valid 1 hour) when the account exists; the caller is told the same either way. */
  async requestReset(email: string): Promise<Result<{ mailed: boolean }>> {
    const address = normalEmail(email);
    if (!address) return fail('BAD_REQUEST', 'The email must be an address like name@example.com.');
    const center = await this.centerName();
    const mailed = await this.db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select(['id', 'status']).where('email', '=', address).executeTakeFirst();
      if (!user || user.status === 'disabled') return false;
      const { link } = await issueOneTimeToken(trx, 'reset', { userId: user.id, email: address }, this.clock.now(), this.publicUrl);
      await this.mail.enqueue(
        {
          to: address,
          subject: `Reset your ${center} password`,
          text: `Choose a new password here (the link works once, for 1 hour):\n${link}\n\nIf you did not ask for this, ignore this mail.\n`,
        },
        trx,
      );
      await this.audit.append({ actor: user.id, action: 'password.reset_requested', subject: user.id }, trx);
      return true;
    });
    return ok({ mailed });
  }

  /** Sets a new password from a reset link; every session of the account ends. The mail proves the address, so a pending account becomes active. */
  async resetPassword(resetToken: string, newPassword: string): Promise<Result<{ userId: string }>> {
    const problem = passwordProblem(newPassword);
    if (problem) return fail('BAD_REQUEST', problem);
    const usable = await checkOneTimeToken(this.db, 'reset', resetToken, this.clock.now());
    if (!usable.ok) return usable;
    const hashed = await this.passwords.hash(newPassword);
    if (!hashed.ok) return hashed;
    const passwordHash = hashed.value;
    return this.db.transaction().execute(async (trx) => {
      const token = await consumeOneTimeToken(trx, 'reset', resetToken, this.clock.now());
      if (!token.ok) return token;
      const userId = token.value.user_id!;
      const user = await trx
        .selectFrom('users')
        .select(['email', 'status', 'activated_at'])
        .where('id', '=', userId)
        .executeTakeFirstOrThrow();
      if (user.status === 'disabled') return fail('BAD_REQUEST', 'This account is disabled.');
      await trx
        .updateTable('users')
        .set({ password_hash: passwordHash, status: 'active', activated_at: user.activated_at ?? this.clock.now() })
        .where('id', '=', userId)
        .execute();
      await this.sessions.endAllOf(userId, trx);
      await this.audit.append({ actor: userId, action: 'password.reset', subject: userId }, trx);
      return ok({ userId });
    });
  }

  /** A vendor staff account (active at once) with a login link (valid 1 hour), and an API token when asked. */
  async createStaff(
    email: string,
    role: StaffRole,
    actor: string,
    options: { apiToken?: boolean; name?: string } = {},
  ): Promise<Result<{ userId: string; loginLink: string; apiToken?: string }>> {
    const address = normalEmail(email);
    if (!address) return fail('BAD_REQUEST', 'The email must be an address like name@example.com.');
    if (!STAFF_ROLES.includes(role)) return fail('BAD_REQUEST', `The role must be one of ${STAFF_ROLES.join(', ')}.`);
    const nameProblem = options.name === undefined ? null : textProblem(options.name, 'The name');
    if (nameProblem) return fail('BAD_REQUEST', nameProblem);
    return this.db.transaction().execute(async (trx) => {
      if (await trx.selectFrom('users').select('id').where('email', '=', address).executeTakeFirst())
        return fail('BAD_REQUEST', `An account with the email ${address} exists already.`);
      const userId = newId('usr_');
      const now = this.clock.now();
      await trx
        .insertInto('users')
        .values({
          id: userId,
          customer_id: null,
          email: address,
          name: options.name?.trim() ?? address,
          password_hash: null,
          role,
          status: 'active',
          created_at: now,
          activated_at: now,
        })
        .execute();
      const { link } = await issueOneTimeToken(trx, 'login', { userId, email: address }, this.clock.now(), this.publicUrl);
      await this.audit.append({ actor, action: 'staff.created', subject: userId, data: { email: address, role } }, trx);
      if (!options.apiToken) return ok({ userId, loginLink: link });
      const apiToken = await this.insertApiToken(trx, userId, 'created with the account', actor);
      return ok({ userId, loginLink: link, apiToken });
    });
  }

  /** A new one-time login link for a staff member (staff keep using links, or set a password by reset). */
  async issueLoginLink(userId: string, actor: string): Promise<Result<{ loginLink: string }>> {
    return this.db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select(['email', 'role', 'status']).where('id', '=', userId).executeTakeFirst();
      if (!user || user.role === 'customer' || user.status !== 'active')
        return fail('NOT_FOUND', `There is no active staff account ${userId}.`);
      const { link } = await issueOneTimeToken(trx, 'login', { userId, email: user.email }, this.clock.now(), this.publicUrl);
      await this.audit.append({ actor, action: 'login_link.issued', subject: userId }, trx);
      return ok({ loginLink: link });
    });
  }

  async useLoginLink(loginToken: string): Promise<Result<LoggedIn>> {
    return this.db.transaction().execute(async (trx) => {
      const token = await consumeOneTimeToken(trx, 'login', loginToken, this.clock.now());
      if (!token.ok) return token;
      const user = await trx.selectFrom('users').selectAll().where('id', '=', token.value.user_id!).executeTakeFirstOrThrow();
      if (user.status !== 'active') return fail('BAD_REQUEST', 'This account is not active.');
      const session = await this.sessions.create(user.id, trx);
      await this.audit.append({ actor: user.id, action: 'login', subject: user.id, data: { via: 'login link' } }, trx);
      return ok({ user: viewOf(user), session });
    });
  }

  /** An API token (tsk_…) for a staff member's automation; shown once, stored hashed, never expiring. */
  async createApiToken(userId: string, label: string, actor: string = userId): Promise<Result<{ token: string }>> {
    const text = label.trim();
    if (text.length < 1 || text.length > 100) return fail('BAD_REQUEST', 'The label must be 1 to 100 characters.');
    return this.db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select(['role', 'status']).where('id', '=', userId).executeTakeFirst();
      if (!user || user.role === 'customer' || user.status !== 'active')
        return fail('NOT_FOUND', `There is no active staff account ${userId}.`);
      return ok({ token: await this.insertApiToken(trx, userId, text, actor) });
    });
  }

  /** Who a session cookie or a bearer token belongs to (null: nobody), with the session's CSRF token. */
  async authenticate(credential: {
    sessionId?: string;
    bearer?: string;
  }): Promise<{ principal: Principal; csrfToken: string | null } | null> {
    if (credential.bearer !== undefined) {
      if (!credential.bearer.startsWith(API_TOKEN_PREFIX)) return null;
      const row = await this.db
        .selectFrom('tokens')
        .innerJoin('users', 'users.id', 'tokens.user_id')
        .select(['users.id', 'users.role', 'users.customer_id'])
        .where('tokens.hash', '=', secretHash(credential.bearer))
        .where('tokens.kind', '=', 'api')
        .where('tokens.used_at', 'is', null)
        .where('users.status', '=', 'active')
        .executeTakeFirst();
      return row ? { principal: { userId: row.id, role: row.role, customerId: row.customer_id, via: 'token' }, csrfToken: null } : null;
    }
    if (credential.sessionId !== undefined) return this.sessions.find(credential.sessionId);
    return null;
  }

  async user(userId: string): Promise<Result<UserView>> {
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    return user ? ok(viewOf(user)) : fail('NOT_FOUND', `There is no user ${userId}.`);
  }

  private async insertApiToken(trx: Transaction<Database>, userId: string, label: string, actor: string): Promise<string> {
    const token = `${API_TOKEN_PREFIX}${newSecret()}`;
    const id = newId('tok_');
    await trx
      .insertInto('tokens')
      .values({
        id,
        hash: secretHash(token),
        kind: 'api',
        user_id: userId,
        customer_id: null,
        email: null,
        label,
        expires_at: null,
        used_at: null,
        created_at: this.clock.now(),
      })
      .execute();
    await this.audit.append({ actor, action: 'api_token.created', subject: userId, data: { tokenId: id, label } }, trx);
    return token;
  }
}

function normalEmail(email: string): string | null {
  const address = email.trim().toLowerCase();
  return EMAIL.test(address) && address.length <= 320 ? address : null;
}

function viewOf(user: Selectable<UsersTable>): UserView {
  return { id: user.id, email: user.email, name: user.name, role: user.role, customerId: user.customer_id, status: user.status };
}
