/**
 * Who is calling: the session cookie or an `Authorization: Bearer tsk_…` API token, resolved once per request
 * into `request.principal`. Writes made with a session cookie must echo the session's CSRF token in the
 * x-csrf-token header (a page of another site can make the browser send the cookie, but cannot read the token);
 * calls with an API token carry no ambient credential, so they are exempt.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { refuse } from '@tessera/http';
import type { Accounts, Principal, Session, StaffRole } from '../services/accounts/accounts.js';
import { STAFF_ROLES } from '../services/accounts/sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const SESSION_COOKIE = 'tessera_session';
export const CSRF_HEADER = 'x-csrf-token';
const STAFF_PREFIX = '/v1/staff/';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const csrfTokens = new WeakMap<FastifyRequest, string>();

export function installAuth(app: FastifyInstance, accounts: Accounts): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    request.principal = null;
    const authorization = request.headers.authorization;
    const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    const sessionId = request.cookies?.[SESSION_COOKIE];
    const found = bearer ? await accounts.authenticate({ bearer }) : sessionId ? await accounts.authenticate({ sessionId }) : null;
    if (!found) return;
    if (found.principal.via === 'session' && found.csrfToken !== null) {
      if (WRITES.has(request.method) && !sameText(request.headers[CSRF_HEADER], found.csrfToken)) {
        throw refuse(
          'CSRF_TOKEN_INVALID',
          `A write with a session cookie needs the ${CSRF_HEADER} header holding the session's CSRF token (from login or GET /v1/auth/me).`,
        );
      }
      csrfTokens.set(request, found.csrfToken);
    }
    request.principal = found.principal;
  });
  // Staff routes are settled before their body is validated: no login is 401, a customer gets the same 404 as for
  // a route that does not exist, whatever they send. Each route still checks its staff roles.
  app.addHook('preValidation', async (request) => {
    if (request.url.startsWith(STAFF_PREFIX) && requireUser(request).role === 'customer') throw hidden(request);
  });
}

/** The CSRF token of the request's session, when it came with one. */
export function csrfTokenOf(request: FastifyRequest): string | null {
  return csrfTokens.get(request) ?? null;
}

export function sessionIdOf(request: FastifyRequest): string | null {
  return request.cookies?.[SESSION_COOKIE] ?? null;
}

export function setSessionCookie(reply: FastifyReply, session: Session, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: new Date(session.expiresAt) });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

/** Any logged-in caller; 401 otherwise. */
export function requireUser(request: FastifyRequest): Principal {
  if (!request.principal) throw refuse('UNAUTHORIZED', 'Log in first (a session cookie or an API token).');
  return request.principal;
}

/** A customer's user; anyone else is answered as if the resource did not exist. */
export function requireCustomer(request: FastifyRequest): Principal & { customerId: string } {
  const principal = requireUser(request);
  if (principal.role !== 'customer' || principal.customerId === null) throw hidden(request);
  return principal as Principal & { customerId: string };
}

/** Vendor staff with one of `roles`; customers and other roles are answered as if the resource did not exist. */
export function requireStaff(request: FastifyRequest, roles: readonly StaffRole[] = STAFF_ROLES): Principal & { role: StaffRole } {
  const principal = requireUser(request);
  if (principal.role === 'customer' || !roles.includes(principal.role)) throw hidden(request);
  return principal as Principal & { role: StaffRole };
}

// The same answer as a route that does not exist, so a caller learns nothing about what it may not see.
function hidden(request: FastifyRequest) {
  return refuse('NOT_FOUND', `There is no ${request.method} ${request.url.split('?')[0]} here.`);
}

function sameText(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
