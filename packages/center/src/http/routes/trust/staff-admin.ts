/**
 * Staff administration (/v1/staff/audit, /v1/staff/keys): the audit log and its chain check, and the signing
 * keys (list for everyone on staff; rotate and revoke for admins, audited).
 */
import { valueOf } from '@tessera/http';
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../../auth.js';
import { object } from '../../route-kit.js';
import type { AuditLog } from '../../../services/audit/audit.js';
import type { SigningKeys } from '../../../services/trust/signing-keys.js';
import type { KeyChanges } from '../../../services/trust/key-changes.js';
import { items, ref } from '../../schemas.js';

const TAGS = ['administration (staff)'];
const KID = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } as const;

/** The services these routes use. */
export type StaffAdminRoutes = { audit: AuditLog; keys: SigningKeys; keyChanges: KeyChanges };

export function staffAdminRoutes(app: FastifyInstance, services: StaffAdminRoutes): void {
  const { audit, keys, keyChanges } = services;

  app.get<{ Querystring: { limit?: number; beforeSeq?: number; subject?: string } }>(
    '/v1/staff/audit',
    {
      schema: {
        response: { 200: items(ref('AuditEvent')) },
        tags: TAGS,
        summary: 'Audit events, newest first; page with beforeSeq (the seq of the last event shown).',
        querystring: object(
          {
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            beforeSeq: { type: 'integer', minimum: 1 },
            subject: { type: 'string', minLength: 1, maxLength: 100, description: 'Only events about this id (lic_…, usr_…, …).' },
          },
          [],
        ),
      },
    },
    async (request) => {
      requireStaff(request);
      return { items: await audit.list(request.query) };
    },
  );

  app.get(
    '/v1/staff/audit/verify',
    { schema: { response: { 200: ref('AuditVerification') }, tags: TAGS, summary: 'Check the hash chain; names the first broken link.' } },
    async (request) => {
      requireStaff(request);
      return audit.verify();
    },
  );

  app.get(
    '/v1/staff/keys',
    { schema: { response: { 200: items(ref('SigningKey')) }, tags: TAGS, summary: 'The signing keys: kid, state, public key.' } },
    async (request) => {
      requireStaff(request);
      return { items: await keys.list() };
    },
  );

  app.post(
    '/v1/staff/keys/rotate',
    {
      schema: {
        response: { 201: ref('SigningKey') },
        tags: TAGS,
        summary: 'Make a new active key; the old one is retired (still trusted). Role: admin.',
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request, ['admin']);
      const created = await keyChanges.rotate(staff.userId);
      reply.status(201);
      return created;
    },
  );

  app.post<{ Params: { kid: string } }>(
    '/v1/staff/keys/:kid/revoke',
    {
      schema: {
        response: { 200: ref('KeyRevocation') },
        tags: TAGS,
        summary:
          'Revoke a key (it leaked): products refuse what it signed once their LM has the new trust bundle. Revoking the active key makes a new one. Every active license whose current serial it signed is re-signed under the active key (serial raised): online LMs pick it up at their next sync; the offline ones are listed with whom to contact. Role: admin.',
        params: object({ kid: KID }),
      },
    },
    async (request) => {
      const staff = requireStaff(request, ['admin']);
      const { revoked, resigned, offline } = valueOf(await keyChanges.revoke(request.params.kid, staff.userId));
      return { ...revoked, resigned, offline };
    },
  );
}
