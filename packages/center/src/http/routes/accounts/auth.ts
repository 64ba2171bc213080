/**
 * /v1/auth: registration from a setup link, activation, login and logout (session cookie + CSRF token), password
 * reset, staff login links, API tokens (made, listed, revoked by their own staff member). Passwords, tokens and
 * cookies travel only in bodies and headers, never in URLs, so they never reach the request log.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { refuse, valueOf } from '@tessera/http';
import type { Result } from '@tessera/core';
import type { Accounts, LoggedIn } from '../../../services/accounts/accounts.js';
import { clearSessionCookie, csrfTokenOf, requireStaff, requireUser, sessionIdOf, setSessionCookie } from '../../auth.js';
import { body, params, text } from '../../route-kit.js';
import type { Throttle } from '../../../services/accounts/throttle.js';
import type { StaffUsers } from '../../../services/accounts/staff-users.js';
import { items, MESSAGE, record, ref } from '../../schemas.js';

/** Link-based and password routes share one budget per address: 30 attempts in 15 minutes. */
const ADDRESS_BUDGET = { max: 30, windowMs: 15 * 60_000 };

const TAGS = ['accounts'];
const TOKEN_TAGS = ['API tokens (staff)'];
const TOKEN = text(200);
const PASSWORD = { type: 'string', maxLength: 200 } as const;

/** The services these routes use. */
export type AuthRoutes = { accounts: Accounts; throttle: Throttle; staffUsers: StaffUsers };

export function authRoutes(app: FastifyInstance, services: AuthRoutes): void {
  const { accounts, throttle, staffUsers } = services;
  const secure = accounts.publicUrl.startsWith('https:');
  const limitAddress = async (request: FastifyRequest) => {
    if (!(await throttle.allow(`auth-address:${request.ip}`, ADDRESS_BUDGET)))
      throw refuse('RATE_LIMITED', 'Too many attempts from this address; wait 15 minutes and try again.');
  };
  const loggedIn = (result: Result<LoggedIn>, reply: Parameters<typeof setSessionCookie>[0]) => {
    const { user, session } = valueOf(result);
    setSessionCookie(reply, session, secure);
    reply.header('cache-control', 'no-store');
    return { user, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  };

  app.post<{ Body: { token: string; name: string; email?: string; password: string } }>(
    '/v1/auth/register',
    {
      schema: {
        response: {
          201: record({ userId: { type: 'string' }, status: { type: 'string', enum: ['pending'] }, message: { type: 'string' } }),
        },
        tags: TAGS,
        summary: "Register a customer's account from a setup link's token; an activation link is mailed.",
        ...body({ token: TOKEN, name: text(200), email: text(320), password: PASSWORD }, ['token', 'name', 'password']),
      },
    },
    async (request, reply) => {
      await limitAddress(request);
      const { token, ...input } = request.body;
      const { userId } = valueOf(await accounts.register(token, input));
      reply.status(201);
      return { userId, status: 'pending', message: 'Check your mail for the activation link.' };
    },
  );

  app.post<{ Body: { token: string } }>(
    '/v1/auth/activate',
    {
      schema: {
        response: { 200: record({ userId: { type: 'string' }, status: { type: 'string', enum: ['active'] } }) },
        tags: TAGS,
        summary: "Activate an account with the activation link's token.",
        ...body({ token: TOKEN }),
      },
    },
    async (request) => {
      await limitAddress(request);
      return { ...valueOf(await accounts.activate(request.body.token)), status: 'active' };
    },
  );

  app.post<{ Body: { email: string; password: string } }>(
    '/v1/auth/login',
    {
      schema: {
        response: { 200: ref('LoggedIn') },
        tags: TAGS,
        summary: 'Log in with email and password: a session cookie, and the CSRF token writes must send.',
        ...body({ email: text(320), password: PASSWORD }),
      },
    },
    async (request, reply) => loggedIn(await accounts.login(request.body.email, request.body.password, request.ip), reply),
  );

  app.post<{ Body: { token: string } }>(
    '/v1/auth/login-link',
    {
      schema: {
        response: { 200: ref('LoggedIn') },
        tags: TAGS,
        summary: "Log in with a staff one-time login link's token.",
        ...body({ token: TOKEN }),
      },
    },
    async (request, reply) => {
      await limitAddress(request);
      return loggedIn(await accounts.useLoginLink(request.body.token), reply);
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      schema: {
        response: { 200: record({ loggedOut: { type: 'boolean', enum: [true] } }) },
        tags: TAGS,
        summary: 'End the session and clear its cookie.',
      },
    },
    async (request, reply) => {
      const sessionId = sessionIdOf(request);
      // Only a session whose CSRF check passed (a principal set) is ended; a stale cookie is just cleared.
      if (sessionId && request.principal?.via === 'session') await accounts.logout(sessionId);
      clearSessionCookie(reply, secure);
      return { loggedOut: true };
    },
  );

  app.post<{ Body: { email: string } }>(
    '/v1/auth/reset-request',
    {
      schema: {
        response: { 200: MESSAGE },
        tags: TAGS,
        summary: 'Mail a password reset link (valid 1 hour) if the account exists.',
        ...body({ email: text(320) }),
      },
    },
    async (request) => {
      await limitAddress(request);
      valueOf(await accounts.requestReset(request.body.email));
      // The same answer whether or not the account exists.
      return { message: 'If an account has this email, a reset link is on its way.' };
    },
  );

  app.post<{ Body: { token: string; password: string } }>(
    '/v1/auth/reset',
    {
      schema: {
        response: { 200: MESSAGE },
        tags: TAGS,
        summary: "Set a new password with a reset link's token; every session of the account ends.",
        ...body({ token: TOKEN, password: PASSWORD }),
      },
    },
    async (request) => {
      await limitAddress(request);
      valueOf(await accounts.resetPassword(request.body.token, request.body.password));
      return { message: 'The password is changed; log in with it. Every other session was ended.' };
    },
  );

  app.get(
    '/v1/auth/me',
    { schema: { response: { 200: ref('Me') }, tags: TAGS, summary: 'Who is calling, and the CSRF token of the session.' } },
    async (request, reply) => {
      const principal = requireUser(request);
      reply.header('cache-control', 'no-store');
      return { user: valueOf(await accounts.user(principal.userId)), via: principal.via, csrfToken: csrfTokenOf(request) };
    },
  );

  app.post<{ Body: { label: string } }>(
    '/v1/auth/tokens',
    {
      schema: {
        response: {
          201: record({
            token: { type: 'string', description: 'Send as Authorization: Bearer …; shown only now.' },
            message: { type: 'string' },
          }),
        },
        tags: TOKEN_TAGS,
        summary: 'Make an API token for automation; shown only now. Staff only.',
        ...body({ label: text(100) }),
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request);
      const { token } = valueOf(await accounts.createApiToken(staff.userId, request.body.label));
      reply.status(201).header('cache-control', 'no-store');
      return { token, message: 'Keep this token now: it is shown only once.' };
    },
  );

  app.get(
    '/v1/auth/tokens',
    {
      schema: {
        response: { 200: items(ref('ApiToken')) },
        tags: TOKEN_TAGS,
        summary: 'My API tokens that still work (id, label, creation time; never the token). Staff only.',
      },
    },
    async (request) => {
      const staff = requireStaff(request);
      return { items: await staffUsers.listTokens(staff.userId) };
    },
  );

  app.delete<{ Params: { tokenId: string } }>(
    '/v1/auth/tokens/:tokenId',
    {
      schema: {
        response: { 200: record({ id: { type: 'string' }, revokedAt: { type: 'integer' } }) },
        tags: TOKEN_TAGS,
        summary: 'Revoke one of my API tokens: it stops working at once. Staff only.',
        params: params({ tokenId: 'tok_' }),
      },
    },
    async (request) => {
      const staff = requireStaff(request);
      return valueOf(await staffUsers.revokeToken(staff.userId, request.params.tokenId));
    },
  );
}
