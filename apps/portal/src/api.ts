import type { components, operations } from './api-types';

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

// The answers the portal reads, by the names the License Center's description gives them (api-types.ts is
// generated from its routes' schemas: npm run api-types).

type Schemas = components['schemas'];
type SuccessOf<R> = R extends { 200: infer A } ? A : R extends { 201: infer A } ? A : R extends { 202: infer A } ? A : never;
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;

/** The JSON a successful call of operation `Op` answers (its 200, else 201, else 202; or the `Status` given). */
export type Answer<Op extends keyof operations, Status extends number | null = null> = Status extends number
  ? JsonOf<operations[Op]['responses'][Status & keyof operations[Op]['responses']]>
  : JsonOf<SuccessOf<operations[Op]['responses']>>;

export type User = Schemas['User'];
export type Role = User['role'];
export type LoginAnswer = Schemas['LoggedIn'];
export type MeAnswer = Schemas['Me'];
export type LicenseCard = Schemas['LicenseCard'];
export type LicenseState = LicenseCard['status'];
export type Mode = LicenseCard['mode'];
export type LicenseCardPage = Answer<'getLicenses'>;
export type LicenseDetails = Schemas['LicenseDetails'];
export type LicenseKey = Schemas['LicenseKey'];

export const licensePath = (id: string) => `/v1/licenses/${encodeURIComponent(id)}`;

/** An installation package as the License Center lists it: its file's size in bytes and sha256 in hex. */
export type PackageView = Schemas['Package'];

/** GET /v1/licenses/:id/packages: the packages of the license's product, and whether this license may download them. */
export type LicensePackages = Answer<'getLicensesByLicenseIdPackages'>;

/** POST /v1/licenses/:id/packages/:packageId/link: an expiring signed address that downloads the file without a session. */
export type DownloadLink = Answer<'postLicensesByLicenseIdPackagesByPackageIdLink'>;

/** GET /v1/lm-packages: the License Manager's packages, which every signed-in user may download. */
export type LmPackages = Answer<'getLmPackages'>;

/** POST /v1/lm-packages/:packageId/link: a signed address for one of them, as for a license's packages. */
export type LmDownloadLink = Answer<'postLmPackagesByPackageIdLink'>;
