/** Checks the options of watch() and connect() once, so a mistake is one clear LicenseError BAD_OPTIONS. */
import { hostname } from 'node:os';
import { parseTrustBundle } from '@tessera/core';
import type { TrustBundle } from '@tessera/core';
import { LicenseError } from './types.js';
import type { ConnectOptions, WatchOptions } from './types.js';

// The LM's own rule for product and role names (packages/manager/src/http/routes/seats.ts).
const NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_WATCH_POLL_MS = 30_000;
const MAX_MS = 24 * 3_600_000;

export interface CheckedWatchOptions {
  url: string;
  product: string;
  trust: TrustBundle | null;
  timeoutMs: number;
  pollMs: number;
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

function checkTrust(value: unknown): TrustBundle | null {
  if (value === undefined) return null;
  if (typeof value !== 'string') throw bad('"trust" must be the text of the vendor\'s trust bundle (JSON), not a path or an object.');
  const bundle = parseTrustBundle(value);
  if (!bundle.ok) throw bad(`"trust" cannot be used: ${bundle.detail}`);
  return bundle.value;
}

export function checkWatchOptions(options: WatchOptions): CheckedWatchOptions {
  if (typeof options !== 'object' || options === null) throw bad('options must be an object with at least url and product.');
  return {
    url: normalizeUrl(options.url),
    product: checkName(options.product, 'product'),
    trust: checkTrust(options.trust),
    timeoutMs: checkMs(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS, 1)!,
    pollMs: checkMs(options.pollMs, 'pollMs', DEFAULT_WATCH_POLL_MS, 10)!,
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
