/**
 * Every statement whose SQL differs between the two databases, behind one interface with a module per dialect
 * (sqlite.ts, postgres.ts): how a transaction serialises changes of a set of rows across instances, locks the rows
 * it read, and claims queued rows without waiting on another instance's. The handle (connect.ts) carries its
 * dialect's statements, and services are given them: no service asks which database it runs on.
 */
import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { postgresStatements } from './postgres.js';
import { sqliteStatements } from './sqlite.js';

export type Dialect = 'sqlite' | 'postgres';

/** The tables whose changes a transaction serialises as a whole (there may be no row to lock yet). */
export type LockedSet = 'signing_keys' | 'root_keys';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Select = SelectQueryBuilder<Database, any, any>;

export interface DialectStatements {
  readonly dialect: Dialect;
  /** Serialises changes of `set` across instances until the transaction ends. */
  lockSet(trx: Transaction<Database>, set: LockedSet): Promise<void>;
  /** Locks the audit log's head for the rest of the transaction and reads it: appends from every instance take turns. */
  lockAuditHead(trx: Transaction<Database>): Promise<{ seq: number; hash: string }>;
  /** The rows `query` reads, locked against other writers until the transaction ends. */
  forUpdate<Q extends Select>(query: Q): Q;
  /** The rows `query` reads, locked, leaving out rows another transaction holds (a claim that never waits). */
  skipLocked<Q extends Select>(query: Q): Q;
}

export function statementsFor(dialect: Dialect): DialectStatements {
  return dialect === 'postgres' ? postgresStatements : sqliteStatements;
}
