/**
 * SQLite's statements (see index.ts). SQLite has one writer at a time: a transaction whose first statement is a
 * write takes the database's write lock at once (waiting on busy_timeout), rather than failing with SQLITE_BUSY
 * when a read transaction later upgrades after another process wrote. Rows need no lock of their own.
 */
import { sql } from 'kysely';
import type { DialectStatements } from './statements.js';

export const sqliteStatements: DialectStatements = {
  dialect: 'sqlite',
  async lockSet(trx, set) {
    await sql`update ${sql.table(set)} set state = state where 0 = 1`.execute(trx);
  },
  async lockAuditHead(trx) {
    await sql`update audit_head set seq = seq where id = 1`.execute(trx);
    const head = await trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
    if (!head) throw new Error('The audit_head row is missing: the database was not migrated.');
    return head;
  },
  forUpdate: (query) => query,
  forNoKeyUpdate: (query) => query,
  forShare: (query) => query,
  skipLocked: (query) => query,
};
