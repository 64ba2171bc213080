/**
 * Every statement whose SQL differs between the two databases, behind one interface with a module per dialect
 * (sqlite.ts, postgres.ts): how a transaction serialises changes of a set of rows across instances, locks the rows
 * it read, and claims queued rows without waiting on another instance's. The handle (connect.ts) carries its
 * dialect's statements, and services are given them: no service asks which database it runs on.
 */
import { postgresStatements } from './postgres.js';
import { sqliteStatements } from './sqlite.js';
import type { Dialect, DialectStatements } from './statements.js';

export type { Dialect, DialectStatements, LockedSet } from './statements.js';

export function statementsFor(dialect: Dialect): DialectStatements {
  return dialect === 'postgres' ? postgresStatements : sqliteStatements;
}
