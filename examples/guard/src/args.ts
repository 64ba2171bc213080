/**
 * Command-line flags of the two programs. A wrong flag is a UsageError: one line on stderr naming the flag and
 * what it wants, exit 2, never a stack trace.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export const EXIT_USAGE = 2;

type FlagSpec = Record<string, { type: 'string' }>;

/**
 * Said for a --trust left over from earlier releases: the vendor's root is compiled into guard, so no file a
 * customer names can change what it trusts.
 */
export const TRUST_REMOVED =
  "--trust is no longer a flag: guard trusts only the vendor's root key compiled into it, and the License Manager serves the vendor's trust bundle; remove --trust (see README)";

/** Parses `argv` against string-valued flags; `required` must be present. */
export function readFlags(argv: string[], names: string[], required: string[], usage: string): Record<string, string | undefined> {
  if (argv.some((arg) => /^--trust(=|$)/.test(arg))) throw new UsageError(TRUST_REMOVED);
  const options: FlagSpec = Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]}. Usage: ${usage}`);
  }
  for (const name of required) {
    if (typeof values[name] !== 'string' || values[name] === '') throw new UsageError(`--${name} is required. Usage: ${usage}`);
  }
  return values as Record<string, string | undefined>;
}

/** The License Manager address: `host:port` or an http(s) URL; answered as a base URL without a trailing slash. */
export function lmUrlFlag(value: string): string {
  const withScheme = /^https?:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`--license_manager_url "${value}" is not an address; give host:port, for example 127.0.0.1:9119.`);
  }
  if (!url.port && !/^https?:\/\//i.test(value)) {
    throw new UsageError(`--license_manager_url "${value}" has no port; give host:port, for example 127.0.0.1:9119.`);
  }
  return url.origin;
}

/** More replicas than this is a mistake; the SDK refuses it too. */
const MAX_LM_URLS = 8;

/**
 * --license_manager_url as one address or a comma-separated list of the License Manager's replicas (one database,
 * one identity), tried in that order when one is silent.
 */
export function lmUrlsFlag(value: string): string[] {
  const urls = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(lmUrlFlag);
  if (urls.length === 0) throw new UsageError('--license_manager_url needs at least one host:port, for example 127.0.0.1:9119.');
  if (urls.length > MAX_LM_URLS) throw new UsageError(`--license_manager_url names at most ${MAX_LM_URLS} replicas, not ${urls.length}.`);
  if (new Set(urls).size !== urls.length) throw new UsageError('--license_manager_url names the same License Manager twice.');
  return urls;
}

/** An http(s) URL flag such as --controller. */
export function httpUrlFlag(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // answered below
  }
  throw new UsageError(`--${name} "${value}" is not an http URL; give one like http://127.0.0.1:8443.`);
}

/** An integer flag within [min, max]; `fallback` when absent. */
export function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`--${name} "${value}" must be a whole number from ${min} to ${max}.`);
  }
  return number;
}
