/**
 * The hand-written SQL the services use, as named expressions: the same text on both databases (what differs by
 * database is in dialects/). Everything else the services say in Kysely's query builder.
 */
import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';

/** A throttle window's new count on a hit: 1 when the window starting before `stale` ran out, else one more. */
export function windowCountAfterHit(stale: number): RawBuilder<number> {
  return sql<number>`case when throttle.window_start <= ${stale} then 1 else throttle.count + 1 end`;
}

/** A throttle window's start on a hit: `now` when it ran out (it starts again), else as it was. */
export function windowStartAfterHit(stale: number, now: number): RawBuilder<number> {
  return sql<number>`case when throttle.window_start <= ${stale} then ${now} else throttle.window_start end`;
}

/** The column less one (a hit given back). */
export function lessOne(column: string): RawBuilder<number> {
  return sql<number>`${sql.ref(column)} - 1`;
}

/**
 * Whether `column` contains `text`, in any letter case. LIKE is case-sensitive on PostgreSQL and not on SQLite:
 * lower() on both sides gives both the same answer (for ASCII letters; SQLite's lower() leaves others as they are).
 * % and _ in `text` are matched as themselves.
 */
export function containsIgnoringCase(column: string, text: string): RawBuilder<boolean> {
  const pattern = `%${text.replace(/[!%_]/g, '!$&')}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like lower(${pattern}) escape '!'`;
}

/** `column`'s value, or null where the job's claim is `instanceId`'s (a claim released only by its holder). */
export function nullWhereClaimedBy<T>(instanceId: string, column: string): RawBuilder<T | null> {
  return sql<T | null>`case when claimed_by = ${instanceId} then null else ${sql.ref(column)} end`;
}
