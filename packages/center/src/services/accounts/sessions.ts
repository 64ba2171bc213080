/**
 * Login sessions and the secrets behind links, cookies and API tokens: 32 random bytes in base64url, of which
 * only the SHA-256 is stored, so a copy of the database opens no account.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { fail, ok } from '@tessera/core';
import type { Clock, Failure, Result } from '@tessera/core';
import type { Database, TokensTable, UsersTable } from '../../db/schema.js';
import { newId } from '../../ids.js';

export type Role = UsersTable['role'];
export type StaffRole = Exclude<Role, 'customer'>;
export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'sales', 'support'];

/** Who is calling: set on each request from its session cookie or API token. */
export interface Principal {
  userId: string;
  role: Role;
  customerId: string | null;
  via: 'session' | 'token';
}

export interface Session {
  /** The cookie value; shown once, stored only hashed. */
  id: string;
  csrfToken: string;
  expiresAt: number;
}

const HOUR = 3_600_000;
export const SESSION_MS = 12 * HOUR;

export type OneTimeKind = 'setup' | 'activation' | 'reset' | 'login';
const LIFETIME: Record<OneTimeKind, number> = { setup: 7 * 24 * HOUR, activation: 2 * 24 * HOUR, reset: HOUR, login: HOUR };
const LINK_PATH: Record<OneTimeKind, string> = { setup: 'setup', activation: 'activate', reset: 'reset', login: 'login-link' };
export const API_TOKEN_PREFIX = 'tsk_';

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class Sessions {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;

  constructor(options: { db: Kysely<Database>; clock: Clock }) {
    this.db = options.db;
    this.clock = options.clock;
  }

  async create(userId: string, trx?: Transaction<Database>): Promise<Session> {
    const now = this.clock.now();
    const session: Session = { id: newSecret(), csrfToken: newSecret(), expiresAt: now + SESSION_MS };
    const db = trx ?? this.db;
    // Expired sessions of this user go as a new one comes, so the table does not grow without end.
    await db.deleteFrom('sessions').where('user_id', '=', userId).where('expires_at', '<=', now).execute();
    await db
      .insertInto('sessions')
      .values({
        id_hash: secretHash(session.id),
        user_id: userId,
        csrf_token: session.csrfToken,
        created_at: now,
        expires_at: session.expiresAt,
      })
      .execute();
    return session;
  }

  /** The principal and CSRF token of a live session of an active user, or null. */
  async find(sessionId: string): Promise<{ principal: Principal; csrfToken: string } | null> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id', 'users.role', 'users.customer_id', 'sessions.csrf_token'])
      .where('sessions.id_hash', '=', secretHash(sessionId))
      .where('sessions.expires_at', '>', this.clock.now())
      .where('users.status', '=', 'active')
      .executeTakeFirst();
    if (!row) return null;
    return { principal: { userId: row.id, role: row.role, customerId: row.customer_id, via: 'session' }, csrfToken: row.csrf_token };
  }

  async end(sessionId: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', secretHash(sessionId)).execute();
  }

  async endAllOf(userId: string, trx?: Transaction<Database>): Promise<void> {
    await (trx ?? this.db).deleteFrom('sessions').where('user_id', '=', userId).execute();
  }
}

/** Stores the hash of a new one-time secret and returns the link that carries it. */
export async function issueOneTimeToken(
  trx: Transaction<Database>,
  kind: OneTimeKind,
  fields: { userId?: string; customerId?: string; email: string },
  now: number,
  publicUrl: string,
): Promise<{ id: string; link: string }> {
  const secret = newSecret();
  const id = newId('tok_');
  await trx
    .insertInto('tokens')
    .values({
      id,
      hash: secretHash(secret),
      kind,
      user_id: fields.userId ?? null,
      customer_id: fields.customerId ?? null,
      email: fields.email,
      label: null,
      expires_at: now + LIFETIME[kind],
      used_at: null,
      created_at: now,
    })
    .execute();
  // In the fragment: a browser never sends it, so the secret stays out of server and proxy logs and Referer headers.
  return { id, link: `${publicUrl}/${LINK_PATH[kind]}#token=${secret}` };
}

/**
 * Whether a one-time token could be used now (exists, of this kind, unused, not expired), without using it:
 * checked before work that costs (hashing a password), so a made-up link costs one indexed read. Only
 * consumeOneTimeToken decides, in the transaction of the change.
 */
export async function checkOneTimeToken(db: Kysely<Database>, kind: OneTimeKind, secret: string, now: number): Promise<Result<null>> {
  const row = await db
    .selectFrom('tokens')
    .select(['used_at', 'expires_at'])
    .where('hash', '=', secretHash(secret))
    .where('kind', '=', kind)
    .executeTakeFirst();
  return row && row.used_at === null && row.expires_at !== null && row.expires_at > now ? ok(null) : unusable(kind, row);
}

/** Marks a one-time token used, once: the update's condition decides between two concurrent uses. */
export async function consumeOneTimeToken(
  trx: Transaction<Database>,
  kind: OneTimeKind,
  secret: string,
  now: number,
): Promise<Result<Selectable<TokensTable>>> {
  const hash = secretHash(secret);
  const used = await trx
    .updateTable('tokens')
    .set({ used_at: now })
    .where('hash', '=', hash)
    .where('kind', '=', kind)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  if (used) return ok(used);
  const row = await trx
    .selectFrom('tokens')
    .select(['used_at', 'expires_at'])
    .where('hash', '=', hash)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return unusable(kind, row);
}

/** Why a one-time link cannot be used (none like it, used, expired), in the words its user is shown. */
function unusable(kind: OneTimeKind, row: { used_at: number | null } | undefined): Failure {
  const what = `This ${kind === 'login' ? 'login' : kind} link`;
  if (!row) return fail('BAD_REQUEST', `${what} is not valid; check that it was copied whole, or ask for a new one.`);
  if (row.used_at !== null) return fail('BAD_REQUEST', `${what} was used already; ask for a new one.`);
  return fail('BAD_REQUEST', `${what} has expired; ask for a new one.`);
}
