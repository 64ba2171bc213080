/** PostgreSQL's statements (see index.ts): advisory locks for key sets, row locks, SKIP LOCKED claims. */
import { sql } from 'kysely';
import type { DialectStatements, LockedSet } from './statements.js';

/** Two-int advisory lock keys ("TESS", n); nothing else in Tessera uses them. */
const ADVISORY: Record<LockedSet, readonly [number, number]> = {
  signing_keys: [0x54455353, 1],
  root_keys: [0x54455353, 2],
};

export const postgresStatements: DialectStatements = {
  dialect: 'postgres',
  async lockSet(trx, set) {
    const [a, b] = ADVISORY[set];
    await sql`select pg_advisory_xact_lock(${a}, ${b})`.execute(trx);
  },
  async lockAuditHead(trx) {
    const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).forUpdate().executeTakeFirst();
    if (!head) throw new Error('The audit_head row is missing: the database was not migrated.');
    return head;
  },
  forUpdate: (query) => query.forUpdate() as typeof query,
  forNoKeyUpdate: (query) => query.forNoKeyUpdate() as typeof query,
  forShare: (query) => query.forShare() as typeof query,
  skipLocked: (query) => query.forUpdate().skipLocked() as typeof query,
};
