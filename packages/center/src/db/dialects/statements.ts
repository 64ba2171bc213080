/** What each dialect module (sqlite.ts, postgres.ts) provides; index.ts picks one by the handle's dialect. */
import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from '../schema.js';

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
  /**
   * The rows `query` reads, locked against a change of their columns (FOR NO KEY UPDATE) but not against rows of
   * other tables that reference them being written, which FOR UPDATE would also hold up.
   */
  forNoKeyUpdate<Q extends Select>(query: Q): Q;
  /** The rows `query` reads, kept from changing until the transaction ends; other readers and sharers go on. */
  forShare<Q extends Select>(query: Q): Q;
  /** The rows `query` reads, locked, leaving out rows another transaction holds (a claim that never waits). */
  skipLocked<Q extends Select>(query: Q): Q;
}
