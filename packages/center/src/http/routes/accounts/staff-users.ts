/**
 * Staff accounts (/v1/staff/users): the list for every staff role; for admins, new accounts with their one-time
 * login link, role changes, disabling (sessions end, API tokens stop working) and new login links. The LC keeps
 * one active admin at least: the last one cannot demote or disable themself.
 */
import type { FastifyInstance } from 'fastify';
import type { Accounts, StaffRole } from '../../../services/accounts/accounts.js';
import { STAFF_ROLES } from '../../../services/accounts/sessions.js';
import { requireStaff } from '../../auth.js';
import { valueOf } from '@tessera/http';
import { body, params, text } from '../../route-kit.js';
import type { StaffUsers } from '../../../services/accounts/staff-users.js';
import { items, record, ref } from '../../schemas.js';

const TAGS = ['staff users'];
const ADMIN = ['admin'] as const;
const USER = { params: params({ userId: 'usr_' }) };
const ROLE = {
  type: 'string',
  enum: [...STAFF_ROLES],
  description: 'admin: everything; sales: customers, contracts, licenses; support: reads and rebinds.',
} as const;

type UserParams = { Params: { userId: string } };

/** The services these routes use. */
export type StaffUserRoutes = { accounts: Accounts; staffUsers: StaffUsers };

export function staffUserRoutes(app: FastifyInstance, services: StaffUserRoutes): void {
  const { accounts, staffUsers } = services;

  app.get(
    '/v1/staff/users',
    {
      schema: {
        response: { 200: items(ref('StaffUser')) },
        tags: TAGS,
        summary: 'Every staff account with its role and status.',
      },
    },
    async (request) => {
      requireStaff(request);
      return { items: await staffUsers.list() };
    },
  );

  app.post<{ Body: { email: string; role: StaffRole; name?: string } }>(
    '/v1/staff/users',
    {
      schema: {
        response: {
          201: record({
            userId: { type: 'string' },
            loginLink: { type: 'string', description: 'One-time, valid 1 hour; shown only now.' },
            message: { type: 'string' },
          }),
        },
        tags: TAGS,
        summary: 'Create a staff account; answers its one-time login link (valid 1 hour), shown only now. Role: admin.',
        ...body({ email: text(320), role: ROLE, name: text(200) }, ['email', 'role']),
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request, ADMIN);
      const { email, role, name } = request.body;
      const created = valueOf(await accounts.createStaff(email, role, staff.userId, name === undefined ? {} : { name }));
      reply.status(201).header('cache-control', 'no-store');
      return {
        userId: created.userId,
        loginLink: created.loginLink,
        message: 'Give the login link to its owner now: it is shown only once.',
      };
    },
  );

  app.put<UserParams & { Body: { role: StaffRole } }>(
    '/v1/staff/users/:userId/role',
    {
      schema: {
        response: { 200: ref('StaffUser') },
        tags: TAGS,
        summary: "Change a staff account's role; refused for the last active admin. Role: admin.",
        ...USER,
        ...body({ role: ROLE }),
      },
    },
    async (request) => {
      const staff = requireStaff(request, ADMIN);
      return valueOf(await staffUsers.setRole(request.params.userId, request.body.role, staff.userId));
    },
  );

  app.post<UserParams>(
    '/v1/staff/users/:userId/disable',
    {
      schema: {
        response: { 200: ref('StaffUser') },
        tags: TAGS,
        summary: 'Disable a staff account: its sessions end and its API tokens and links stop working. Role: admin.',
        ...USER,
      },
    },
    async (request) => {
      const staff = requireStaff(request, ADMIN);
      return valueOf(await staffUsers.disable(request.params.userId, staff.userId));
    },
  );

  app.post<UserParams>(
    '/v1/staff/users/:userId/login-link',
    {
      schema: {
        response: { 200: record({ loginLink: { type: 'string' }, message: { type: 'string' } }) },
        tags: TAGS,
        summary: 'A new one-time login link (valid 1 hour) for an active staff account. Role: admin.',
        ...USER,
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request, ADMIN);
      const { loginLink } = valueOf(await accounts.issueLoginLink(request.params.userId, staff.userId));
      reply.header('cache-control', 'no-store');
      return { loginLink, message: 'Give the login link to its owner now: it is shown only once.' };
    },
  );
}
