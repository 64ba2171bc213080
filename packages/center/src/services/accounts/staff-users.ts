/**
 * The vendor's staff accounts once they exist (accounts.ts creates them): the list, role changes and disabling,
 * and each staff member's own API tokens. The LC always keeps one active admin: a change that would leave none
 * is refused, since only an admin can make another (short of the command line on the server).
 */
import type { Kysely, Transaction } from 'kysely';
import type { DialectStatements } from '../../db/dialects/index.js';
import { fail, ok } from '@tessera/core';
import type { Clock, Result } from '@tessera/core';
import type { Database, UsersTable } from '../../db/schema.js';
import type { AuditLog } from '../audit/audit.js';
import { STAFF_ROLES } from './sessions.js';
import type { StaffRole } from './sessions.js';

export interface StaffUserView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  status: UsersTable['status'];
  createdAt: number;
  activatedAt: number | null;
}

export interface ApiTokenView {
  id: string;
  label: string;
  createdAt: number;
}

const COLUMNS = ['id', 'email', 'name', 'role', 'status', 'created_at', 'activated_at'] as const;

type StaffRow = Pick<UsersTable, (typeof COLUMNS)[number]>;

export class StaffUsers {
  private readonly db: Kysely<Database>;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  private readonly dialect: DialectStatements;

  constructor(options: { db: Kysely<Database>; dialect: DialectStatements; audit: AuditLog; clock: Clock }) {
    this.db = options.db;
    this.audit = options.audit;
    this.clock = options.clock;
    this.dialect = options.dialect;
  }

  /** Every staff account, by email: a vendor has tens, so there are no pages. */
  async list(): Promise<StaffUserView[]> {
    const rows = await this.db.selectFrom('users').select(COLUMNS).where('customer_id', 'is', null).orderBy('email').execute();
    return rows.filter((row) => row.role !== 'customer').map(viewOf);
  }

  /** Gives a staff account another role; refused when it would leave no active admin. */
  async setRole(userId: string, role: StaffRole, actor: string): Promise<Result<StaffUserView>> {
    if (!STAFF_ROLES.includes(role)) return fail('BAD_REQUEST', `The role must be one of ${STAFF_ROLES.join(', ')}.`);
    return this.db.transaction().execute(async (trx) => {
      const admins = await this.lockActiveAdmins(trx);
      const user = await this.lockStaff(trx, userId);
      if (!user) return notFound(userId);
      if (user.role === role) return ok(viewOf(user));
      if (user.role === 'admin' && user.status === 'active' && admins <= 1) {
        return fail('BAD_REQUEST', lastAdminProblem(user, actor, `change ${actor === user.id ? 'your' : 'its'} role`));
      }
      await trx.updateTable('users').set({ role }).where('id', '=', userId).execute();
      await this.audit.append(
        { actor, action: 'staff.role_changed', subject: userId, data: { email: user.email, from: user.role, to: role } },
        trx,
      );
      return ok(viewOf({ ...user, role }));
    });
  }

  /**
   * Disables a staff account: its sessions end, and its API tokens and unused links stop working for good (they
   * stay revoked should the account ever be enabled again). Refused for the last active admin.
   */
  async disable(userId: string, actor: string): Promise<Result<StaffUserView>> {
    return this.db.transaction().execute(async (trx) => {
      const admins = await this.lockActiveAdmins(trx);
      const user = await this.lockStaff(trx, userId);
      if (!user) return notFound(userId);
      if (user.status === 'disabled') return ok(viewOf(user));
      if (user.role === 'admin' && user.status === 'active' && admins <= 1) {
        return fail('BAD_REQUEST', lastAdminProblem(user, actor, `disable ${actor === user.id ? 'yourself' : 'it'}`));
      }
      await trx.updateTable('users').set({ status: 'disabled' }).where('id', '=', userId).execute();
      const sessions = await trx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
      const tokens = await trx
        .updateTable('tokens')
        .set({ used_at: this.clock.now() })
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      await this.audit.append(
        {
          actor,
          action: 'staff.disabled',
          subject: userId,
          data: {
            email: user.email,
            role: user.role,
            sessionsEnded: Number(sessions.numDeletedRows),
            tokensRevoked: Number(tokens.numUpdatedRows),
          },
        },
        trx,
      );
      return ok(viewOf({ ...user, status: 'disabled' }));
    });
  }

  /** The API tokens of a staff member that still work, newest first; never their hashes. */
  async listTokens(userId: string): Promise<ApiTokenView[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .select(['id', 'label', 'created_at'])
      .where('user_id', '=', userId)
      .where('kind', '=', 'api')
      .where('used_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => ({ id: row.id, label: row.label ?? '', createdAt: row.created_at }));
  }

  /** Revokes one of the caller's own API tokens; someone else's answers as one that does not exist. */
  async revokeToken(userId: string, tokenId: string, actor: string = userId): Promise<Result<{ id: string; revokedAt: number }>> {
    return this.db.transaction().execute(async (trx) => {
      const revokedAt = this.clock.now();
      // One conditional update: of two revocations at once, one finds the token still live.
      const revoked = await trx
        .updateTable('tokens')
        .set({ used_at: revokedAt })
        .where('id', '=', tokenId)
        .where('user_id', '=', userId)
        .where('kind', '=', 'api')
        .where('used_at', 'is', null)
        .returning(['id', 'label'])
        .executeTakeFirst();
      if (!revoked) return fail('NOT_FOUND', `You have no working API token ${tokenId}; list yours with GET /v1/auth/tokens.`);
      await this.audit.append({ actor, action: 'api_token.revoked', subject: userId, data: { tokenId, label: revoked.label } }, trx);
      return ok({ id: tokenId, revokedAt });
    });
  }

  /** The staff account, locked on PostgreSQL until the transaction ends (SQLite's write lock serialises writers). */
  private async lockStaff(trx: Transaction<Database>, userId: string): Promise<(StaffRow & { role: StaffRole }) | undefined> {
    const query = trx.selectFrom('users').select(COLUMNS).where('id', '=', userId).where('customer_id', 'is', null);
    const row = await this.dialect.forUpdate(query).executeTakeFirst();
    return row && row.role !== 'customer' ? (row as StaffRow & { role: StaffRole }) : undefined;
  }

  /**
   * How many active admins there are, their rows locked on PostgreSQL, always before the account changed and in
   * id order, so two changes at once cannot deadlock: of two admins demoting each other, the second waits, then
   * counts again after the first commits and finds itself the last one.
   */
  private async lockActiveAdmins(trx: Transaction<Database>): Promise<number> {
    const query = trx.selectFrom('users').select('id').where('role', '=', 'admin').where('status', '=', 'active').orderBy('id');
    return (await this.dialect.forUpdate(query).execute()).length;
  }
}

function lastAdminProblem(user: StaffRow, actor: string, what: string): string {
  const who = actor === user.id ? 'You are' : `${user.email} is`;
  return `${who} the last active admin; make another staff member admin first, then ${what}.`;
}

function notFound(userId: string) {
  return fail('NOT_FOUND', `There is no staff account ${userId}.`);
}

function viewOf(row: StaffRow): StaffUserView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as StaffRole,
    status: row.status,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
  };
}
