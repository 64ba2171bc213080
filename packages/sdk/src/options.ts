/** Checks the options of watch(), connect() and verifySeat() once, so a mistake is one clear LicenseError BAD_OPTIONS. */
import { hostname } from 'node:os';
import { NAME, parseTrustRoots, SEAT_SECRET } from '@tessera/core';
import type { Clock, TrustRoot } from '@tessera/core';
import { LicenseError } from './types.js';
import type { ConnectOptions, SdkTimers, WatchOptions } from './types.js';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_WATCH_POLL_MS = 30_000;
const MAX_MS = 24 * 3_600_000;
/** More replicas than this is a mistake (or a list meant to make every round slow), not a deployment. */
export const MAX_URLS = 8;

export interface CheckedWatchOptions {
  /** The LM's addresses (its replicas), in the order they are tried; one for a single LM. */
  urls: readonly string[];
  product: string;
  /** The vendor's roots the product was built with: the only source of trust. */
  roots: TrustRoot[];
  secret: string | null;
  ca: string | null;
  timeoutMs: number;
  pollMs: number;
  clock: Clock;
  /** With now(): the monotonic clock deadlines are measured on. */
  timers: Required<SdkTimers>;
}

export interface CheckedConnectOptions extends CheckedWatchOptions {
  role: string;
  nodeId: string;
  host: string;
  /** null: a third of the lease TTL the LM answers. */
  heartbeatMs: number | null;
  /** null: the heartbeat. */
  pollMsGiven: number | null;
}

function bad(detail: string): LicenseError {
  return new LicenseError('BAD_OPTIONS', `Tessera SDK: ${detail}`);
}

/** The LM's base URL without a trailing slash; http:// is assumed when no scheme is given. */
export function normalizeUrl(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw bad('"url" must be the License Manager\'s address, for example "http://127.0.0.1:9119".');
  }
  const text = input.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw bad(`"url" ${JSON.stringify(input)} is not an address; give it as "http://host:9119".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw bad(`"url" must use http or https, not ${url.protocol.replace(':', '')}.`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw bad('"url" must be only the License Manager\'s address (scheme, host, port), without query or credentials.');
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * `url` as one address or a list of the LM's replicas. A list must name each address once: the same address
 * twice would be tried twice in a round while it is silent, for nothing.
 */
function checkUrls(input: unknown): string[] {
  if (!Array.isArray(input)) return [normalizeUrl(input)];
  if (input.length === 0 || input.length > MAX_URLS) {
    throw bad(`"url" as a list must name 1 to ${MAX_URLS} addresses of the License Manager's replicas; got ${input.length}.`);
  }
  const urls = (input as unknown[]).map((item) => normalizeUrl(item));
  const twice = urls.find((url, i) => urls.indexOf(url) !== i);
  if (twice !== undefined) throw bad(`"url" names ${twice} twice; give each replica's address once.`);
  return urls;
}

function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw bad(
      `"${field}" must be a name of lower-case letters, digits, "-" or "_" starting with a letter (up to 32), as in the license; got ${describe(value)}.`,
    );
  }
  return value;
}

function checkMs(value: unknown, field: string, fallback: number | null, min: number): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_MS) {
    throw bad(`"${field}" must be a whole number of milliseconds from ${min} to ${MAX_MS}; got ${describe(value)}.`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return typeof value === 'object' ? (value === null ? 'null' : 'an object') : String(value);
}

/** This host's clock and Node's timers, unref'd so the SDK never keeps a product's process alive. */
export const systemClock: Clock = { now: () => Date.now() };
const nodeTimers: Required<SdkTimers> = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => performance.now(),
};

function checkRoot(options: WatchOptions): TrustRoot[] {
  if ((options as { trust?: unknown }).trust !== undefined) {
    // A trust bundle read from a file on the customer's machine would let whoever can edit that file widen trust.
    throw bad(
      '"trust" is no longer an option: compile the vendor\'s root key into the product instead (root: "tessera-root:…", as tessera-center trust-root prints it), so that no file on the customer\'s machine can widen what the product trusts. The License Manager serves the root-signed trust bundle itself.',
    );
  }
  const value: unknown = options.root;
  const texts = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : null;
  if (value === undefined || texts === null || !texts.every((text) => typeof text === 'string')) {
    throw bad(
      `"root" must be the vendor's root public key "tessera-root:…" (tessera-center trust-root prints it), compiled into the product, or a list of them during a root rotation; got ${describe(value)}.`,
    );
  }
  const roots = parseTrustRoots(texts as string[]);
  if (!roots.ok) throw bad(`"root" cannot be used: ${roots.detail}`);
  return roots.value;
}

function checkSecret(value: unknown): string | null {
  if (value === undefined) return null;
  // The secret itself is never put in a message.
  if (typeof value !== 'string' || !SEAT_SECRET.test(value)) {
    throw bad('"secret" must be the License Manager\'s seat secret (seats.secret in its YAML): 1 to 1024 printable ASCII characters.');
  }
  return value;
}

function checkCa(value: unknown, urls: readonly string[]): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !value.includes('-----BEGIN CERTIFICATE-----')) {
    throw bad(
      '"ca" must be PEM text ("-----BEGIN CERTIFICATE-----…") of the certificate authority that signed the License Manager\'s certificate.',
    );
  }
  const plain = urls.find((url) => !url.startsWith('https:'));
  if (plain !== undefined) {
    throw bad(`"ca" is for a License Manager served over https, but "url" is ${plain}; use its https:// address.`);
  }
  return value;
}

function checkClock(value: unknown): Clock {
  if (value === undefined) return systemClock;
  if (typeof value !== 'object' || value === null || typeof (value as Clock).now !== 'function') {
    throw bad('"clock" must be an object with a now() method answering milliseconds since the epoch.');
  }
  return value as Clock;
}

function checkTimers(value: unknown): Required<SdkTimers> {
  if (value === undefined) return nodeTimers;
  const timers = value as SdkTimers;
  if (typeof value !== 'object' || value === null || typeof timers.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
    throw bad('"timers" must be an object with setTimeout(callback, ms) and clearTimeout(handle) methods.');
  }
  if (timers.now !== undefined && typeof timers.now !== 'function') {
    throw bad('"timers.now" must be a method answering monotonic milliseconds, or be left out.');
  }
  return {
    // Handles that can be unref'd are, so injected timers never keep the process alive either.
    setTimeout: (callback, ms) => {
      const handle = timers.setTimeout(callback, ms) as { unref?: () => void } | null;
      if (typeof handle?.unref === 'function') handle.unref();
      return handle;
    },
    clearTimeout: (handle) => timers.clearTimeout(handle),
    now: timers.now ? () => timers.now!() : () => performance.now(),
  };
}

export function checkWatchOptions(options: WatchOptions): CheckedWatchOptions {
  if (typeof options !== 'object' || options === null) throw bad('options must be an object with at least url and product.');
  const urls = checkUrls(options.url);
  return {
    urls,
    product: checkName(options.product, 'product'),
    roots: checkRoot(options),
    secret: checkSecret(options.secret),
    ca: checkCa(options.ca, urls),
    timeoutMs: checkMs(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS, 1)!,
    pollMs: checkMs(options.pollMs, 'pollMs', DEFAULT_WATCH_POLL_MS, 10)!,
    clock: checkClock(options.clock),
    timers: checkTimers(options.timers),
  };
}

export function checkConnectOptions(options: ConnectOptions): CheckedConnectOptions {
  const base = checkWatchOptions(options);
  const nodeId = options.nodeId;
  if (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.length > 200) {
    throw bad(`"nodeId" must be a stable id of this node, 1 to 200 characters; got ${describe(nodeId)}.`);
  }
  const host = options.host ?? hostname();
  if (typeof host !== 'string' || host.length > 253) throw bad('"host" must be a host name of at most 253 characters.');
  return {
    ...base,
    role: checkName(options.role, 'role'),
    nodeId,
    host,
    heartbeatMs: checkMs(options.heartbeatMs, 'heartbeatMs', null, 10),
    pollMsGiven: checkMs(options.pollMs, 'pollMs', null, 10),
  };
}
