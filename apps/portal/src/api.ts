/**
 * The License Center API as the portal calls it: same origin, the HttpOnly session cookie sent by the browser,
 * the session's CSRF token on every write, and every failure turned into an ApiFailure carrying the API's own
 * sentence (errors answer { error: { code, message, requestId } }). Nothing here logs: keys pass through.
 */
export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** The CSRF token of the current session (from login, a login link or /v1/auth/me); null after logout. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiFailure('NETWORK', 0, 'The License Center could not be reached. Check the connection and try again.');
  }
  return answerOf<T>(response);
}

/**
 * A file sent as the raw request body (application/octet-stream), the rest of the request in the query. fetch
 * cannot report how far an upload is, so the caller shows a busy state until the answer comes.
 */
export async function sendFile<T>(path: string, file: Blob): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/octet-stream' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, { method: 'POST', headers, credentials: 'same-origin', cache: 'no-store', body: file });
  } catch {
    throw new ApiFailure('NETWORK', 0, 'The License Center could not be reached. Check the connection and try again.');
  }
  return answerOf<T>(response);
}

/** The parsed JSON of a 2xx answer; anything else thrown as an ApiFailure in the API's own words. */
async function answerOf<T>(response: Response): Promise<T> {
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: a proxy's error page, say
  }
  if (response.ok) return parsed as T;
  const error = (parsed as { error?: { code?: string; message?: string; requestId?: string } } | null)?.error;
  if (error?.message) throw new ApiFailure(error.code ?? 'UNKNOWN', response.status, error.message, error.requestId ?? null);
  // A proxy in front of the License Center may refuse a large upload before the API sees it.
  if (response.status === 413)
    throw new ApiFailure(
      'PAYLOAD_TOO_LARGE',
      413,
      'The file is larger than the License Center accepts.',
      response.headers.get('x-request-id'),
    );
  throw new ApiFailure(
    'UNKNOWN',
    response.status,
    `The License Center answered with HTTP ${response.status} and no explanation. Try again in a moment.`,
    response.headers.get('x-request-id'),
  );
}

/** How the License Center answers a staff route the caller's role may not use: as if the route did not exist. */
const HIDDEN_ROUTE = /^There is no (GET|POST|PUT|DELETE) \/v1\/staff\/\S* here\.$/;
export const NOT_FOR_ROLE = 'This is not available to your role. An admin can do it, or give you a role that may.';

/** The sentence to show for anything a call threw (a staff route hidden from the role: "not available to your role"). */
export function messageOf(error: unknown): string {
  if (error instanceof ApiFailure && error.status === 404 && HIDDEN_ROUTE.test(error.message)) return NOT_FOR_ROLE;
  if (error instanceof ApiFailure) return error.message;
  return 'Something went wrong in this page. Reload it and try again.';
}

// The answers the portal reads (see packages/center/src/services/license-queries.ts and accounts.ts).

export type Role = 'customer' | 'admin' | 'sales' | 'support';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  customerId: string | null;
  status: string;
}

export interface LoginAnswer {
  user: User;
  csrfToken: string;
  expiresAt: number;
}

export interface MeAnswer {
  user: User;
  via: 'session' | 'token';
  csrfToken: string | null;
}

export type LicenseState = 'active' | 'expiring' | 'grace' | 'expired' | 'suspended' | 'ended';
export type Mode = 'online' | 'offline';

export interface LicenseCard {
  id: string;
  product: { slug: string; name: string };
  lmid: string | null;
  status: LicenseState;
  startsAt: number;
  expiresAt: number;
  mode: Mode;
  nodes: Record<string, number>;
  contractId: string | null;
}

export interface LicenseCardPage {
  items: LicenseCard[];
  nextCursor: string | null;
}

export interface LicenseDetails {
  basic: { id: string; lmid: string | null; type: string; serial: number; startsAt: number; expiresAt: number; status: LicenseState };
  resources: {
    product: { id: string; slug: string; name: string };
    nodes: Record<string, number>;
    limits: Record<string, number>;
    features: string[];
  };
  key: { mode: Mode; onlineKeyMasked: string; offlineKeyAvailable: boolean; offlineKeyNote: string | null };
  subscription: {
    id: string;
    source: 'marketplace' | 'sales';
    term: '1m' | '1y';
    autoRenew: boolean;
    startsAt: number;
    endsAt: number;
    status: 'active' | 'ending' | 'ended';
    externalId: string | null;
  } | null;
  usage: {
    lmid: string;
    usage: Record<string, number>;
    lmVersion: string;
    host: { hostname: string; os: string };
    reportedAt: number;
  } | null;
  history: { at: number; kind: string; serial: number; actor: string; detail: Record<string, unknown> }[];
}

export interface LicenseKey {
  mode: Mode;
  key: string;
}

export const licensePath = (id: string) => `/v1/licenses/${encodeURIComponent(id)}`;

/** An installation package as the License Center lists it: its file's size in bytes and sha256 in hex. */
export interface PackageView {
  id: string;
  product: string;
  version: string;
  platform: string;
  filename: string;
  size: number;
  sha256: string;
  uploadedAt: number;
  uploadedBy?: string;
}

/** GET /v1/licenses/:id/packages: the packages of the license's product, and whether this license may download them. */
export interface LicensePackages {
  items: PackageView[];
  downloadable: boolean;
  reason?: { code: string; message: string };
}

/** POST /v1/licenses/:id/packages/:packageId/link: an expiring signed address that downloads the file without a session. */
export interface DownloadLink {
  url: string;
  expiresAt: number;
}
