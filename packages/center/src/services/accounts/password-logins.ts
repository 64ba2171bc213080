/**
 * Logging in with email and password, throttled per account and per client address in the database, so every LC
 * instance counts together. An attempt is counted before its password is checked: one atomic upsert per key
 * returns the new count, and only an attempt within both budgets reaches argon2. Of 200 attempts at once for one
 * account, 5 are checked and 195 refused without hashing, whichever instances they reach.
 *
 * The audit log gets every checked failure (at most the budget per window) and the first refused attempt of a
 * window (the start of a throttling episode), not every refused attempt: a flood must not grow the log.
 */
import { clientAddressKey } from '@tessera/http';
import type { Kysely, Selectable } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Result } from '@tessera/core';
import type { Database, UsersTable } from '../../db/schema.js';
import type { AuditLog } from '../audit/audit.js';
import type { PasswordHasher } from './passwords.js';
import type { Session, Sessions } from './sessions.js';
import type { Limit, Throttle } from './throttle.js';

const MINUTE = 60_000;
export const ACCOUNT_LIMIT: Limit = { max: 5, windowMs: 15 * MINUTE };
export const ADDRESS_LIMIT: Limit = { max: 20, windowMs: 15 * MINUTE };
/** The same words whether the email is unknown, the password wrong or the account not active. */
export const LOGIN_FAILED = 'The email or password is wrong, or the account is not activated yet.';
const THROTTLED = 'Too many failed logins; wait 15 minutes and try again, or reset the password.';

export class PasswordLogins {
  constructor(
    private readonly options: {
      db: Kysely<Database>;
      throttle: Throttle;
      passwords: PasswordHasher;
      sessions: Sessions;
      audit: AuditLog;
    },
  ) {}

  /**
   * A session for the right email (already normalised) and password of an active account. After 5 failures for an
   * account, or 20 from an address, within 15 minutes, every attempt is refused (even with the right password)
   * until the window ends.
   */
  async login(email: string, password: string, ip: string): Promise<Result<{ user: Selectable<UsersTable>; session: Session }>> {
    const { db, throttle, passwords, sessions, audit } = this.options;
    const accountKey = `login-account:${email}`;
    // IPv6 by its /64: one client must not get a budget per address it cares to use.
    const addressKey = `login-address:${clientAddressKey(ip)}`;
    // The address first: an address over its budget cannot use up a victim's account budget.
    const fromAddress = await throttle.hit(addressKey, ADDRESS_LIMIT);
    if (fromAddress > ADDRESS_LIMIT.max) return this.throttled('address', fromAddress, ADDRESS_LIMIT, email, ip);
    const forAccount = await throttle.hit(accountKey, ACCOUNT_LIMIT);
    if (forAccount > ACCOUNT_LIMIT.max) return this.throttled('account', forAccount, ACCOUNT_LIMIT, email, ip);
    const user = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    const checked = await passwords.verify(user?.password_hash ?? null, password);
    if (!checked.ok) {
      // Turned away before hashing (too busy): no password was tried, so the attempt does not count.
      await throttle.release(accountKey, ACCOUNT_LIMIT);
      await throttle.release(addressKey, ADDRESS_LIMIT);
      return checked;
    }
    if (!user || !checked.value || user.status !== 'active') {
      const reason = !user ? 'unknown email' : !checked.value ? 'wrong password' : `account ${user.status}`;
      await audit.append({ actor: `address:${ip}`, action: 'login.failed', subject: user?.id ?? 'login', data: { email, reason } });
      return fail('UNAUTHORIZED', LOGIN_FAILED);
    }
    // A success is not a failure: the account starts afresh and the address gets its attempt back.
    await throttle.clear(accountKey);
    await throttle.release(addressKey, ADDRESS_LIMIT);
    const session = await db.transaction().execute(async (trx) => {
      const created = await sessions.create(user.id, trx);
      await audit.append({ actor: user.id, action: 'login', subject: user.id, data: { address: ip, via: 'password' } }, trx);
      return created;
    });
    return ok({ user, session });
  }

  /** Refuses an attempt over budget; only the first one of the window (count max + 1, exactly one attempt) is audited. */
  private async throttled(limit: 'account' | 'address', count: number, budget: Limit, email: string, ip: string) {
    if (count === budget.max + 1) {
      await this.options.audit.append({ actor: `address:${ip}`, action: 'login.throttled', subject: 'login', data: { email, limit } });
    }
    return fail('RATE_LIMITED', THROTTLED);
  }
}
