/** Times in documents are ISO 8601 UTC strings; in code they are epoch milliseconds. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
export const DAY_MS = 86_400_000;

/** Epoch ms of a strict ISO UTC timestamp, or null. */
export function parseIsoTime(value: unknown): number | null {
  if (typeof value !== 'string' || !ISO_UTC.test(value)) return null;
  const ms = Date.parse(value);
  // Date.parse rolls 2026-02-30 over to March; a round trip catches impossible dates.
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== value.slice(0, 19)) return null;
  return ms;
}

export function toMs(time: Date | number): number {
  return typeof time === 'number' ? time : time.getTime();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
