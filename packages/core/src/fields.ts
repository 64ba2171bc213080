/** Field checks shared by the documents core reads. Each returns an error sentence, or null when the value is fine. */

/**
 * A short, safe rendering of an untrusted JSON value for a message. Never String(value): an object such as
 * {"toString": 1} makes String() throw.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * The pattern of a name in a license: a product slug, a node role, a limit or a feature. Lowercase letters, digits,
 * - and _, starting with a letter, at most 32 characters. As a string for JSON schemas; NAME for code.
 */
export const NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';
export const NAME = new RegExp(NAME_PATTERN);
export const MAX_COUNT = 1_000_000;

/**
 * A License Manager's seat secret (seats.secret), as products send it in a header: 1 to 1024 visible ASCII
 * characters with inner spaces only, so it cannot end a header line early or be trimmed away on the way. The LM
 * refuses any other at start, so a secret no SDK could send never gets configured.
 */
export const SEAT_SECRET = /^[\x21-\x7e](?:[\x20-\x7e]{0,1022}[\x21-\x7e])?$/;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value);
}

export function checkName(value: unknown, what: string): string | null {
  return isName(value) ? null : nameProblem(what);
}

// Messages are only built on failure: a valid document is read on hot paths.
function nameProblem(what: string): string {
  return `${what} must be a lowercase name (letters, digits, - and _, starting with a letter, at most 32 characters).`;
}

/** A map of names to whole numbers, e.g. nodes per role { query: 3, storage: 5 }. */
export function checkCounts(value: unknown, what: string, allowEmpty: boolean): string | null {
  if (!isPlainObject(value)) return `${what} must be an object of names to numbers.`;
  const entries = Object.entries(value);
  if (!allowEmpty && entries.length === 0) return `${what} must name at least one entry.`;
  if (entries.length > 64) return `${what} has too many entries (at most 64).`;
  for (const [name, count] of entries) {
    if (!isName(name)) return nameProblem(`${what} name ${describeValue(name)}`);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
      return `${what} "${name}" must be a whole number from 0 to ${MAX_COUNT}.`;
    }
  }
  return null;
}

export function checkFeatures(value: unknown, what: string): string | null {
  if (!Array.isArray(value)) return `${what} must be a list of names.`;
  if (value.length > 64) return `${what} has too many entries (at most 64).`;
  for (const feature of value) {
    if (!isName(feature)) return nameProblem(`${what} entry ${describeValue(feature)}`);
  }
  return new Set(value).size === value.length ? null : `${what} lists a name twice.`;
}

export function checkText(value: unknown, what: string, max: number, required = true): string | null {
  if (typeof value !== 'string') return `${what} must be text.`;
  if (required && value.trim() === '') return `${what} is required.`;
  if (value.length > max) return `${what} is too long (at most ${max} characters).`;
  // Control characters would garble a terminal or a mail header.
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(value) ? `${what} contains control characters.` : null;
}

export function checkWholeNumber(value: unknown, what: string, min: number, max: number): string | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? null
    : `${what} must be a whole number from ${min} to ${max}.`;
}
