/** Times in documents are ISO 8601 UTC strings; in code they are epoch milliseconds. */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;
export const DAY_MS = 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch ms of a strict ISO UTC timestamp, or null (impossible dates such as 2026-02-30 included). */
export function parseIsoTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = ISO_UTC.exec(value);
  if (!m) return null;
  const year = +m[1]!;
  const month = +m[2]!;
  const day = +m[3]!;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (monthDays === undefined || day < 1 || day > monthDays || +m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) return null;
  const millis = m[7] ? +m[7].padEnd(3, '0') : 0;
  return Date.UTC(year, month - 1, day, +m[4]!, +m[5]!, +m[6]!, millis);
}

export function toMs(time: Date | number): number {
  return typeof time === 'number' ? time : time.getTime();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Where a service reads the time: the system's in production, one a test moves by hand. */
export interface Clock {
  now(): number;
}
