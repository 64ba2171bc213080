/**
 * Keyset pages for staff lists (customers, contracts): newest first on (created_at, id), with an opaque cursor
 * naming the last row shown. No OFFSET, so a late page costs what the first one does, and rows added meanwhile
 * neither repeat nor shift the rest.
 */
import { fail, ok } from '@tessera/core';
import type { Result } from '@tessera/core';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface Cursor {
  createdAt: number;
  id: string;
}

/** The page size and the position after which to read, checked; `prefix` is the id prefix of the listed rows. */
export function pageStart(prefix: string, options: { limit?: number; cursor?: string }): Result<{ limit: number; after: Cursor | null }> {
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    return fail('BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  }
  if (options.cursor === undefined) return ok({ limit, after: null });
  const after = decodeCursor(prefix, options.cursor);
  return after ? ok({ limit, after }) : fail('BAD_REQUEST', 'The cursor is not one this list gave out; start again from the first page.');
}

/** Rows were read with limit + 1: the extra one only tells that another page exists. */
export function pageOf<R extends { id: string; created_at: number }, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return {
    items: rows.slice(0, limit).map(view),
    nextCursor: last ? encodeCursor({ createdAt: Number(last.created_at), id: last.id }) : null,
  };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt}:${cursor.id}`, 'utf8').toString('base64url');
}

function decodeCursor(prefix: string, text: string): Cursor | null {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const match = /^(\d{1,16}):([a-z]+_[A-Za-z0-9]{1,64})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match || !match[2]!.startsWith(prefix)) return null;
  const createdAt = Number(match[1]);
  return Number.isSafeInteger(createdAt) ? { createdAt, id: match[2]! } : null;
}
