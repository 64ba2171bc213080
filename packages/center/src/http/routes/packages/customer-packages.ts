/**
 * Installation packages, customer side (/v1/licenses/{id}/packages): the packages of the license's product, and
 * a signed download link for one of them while the license is active. The link itself is served by downloads.ts.
 */
import type { FastifyInstance } from 'fastify';
import { valueOf } from '@tessera/http';
import type { Packages } from '../../../services/packages/packages.js';
import { requireCustomer } from '../../auth.js';
import { enforce } from '../../rate-limit.js';
import type { WindowLimiter } from '../../rate-limit.js';
import { params } from '../../route-kit.js';
import { record, ref } from '../../schemas.js';

const CUSTOMER_TAGS = ['licenses (customer)'];

/** The services these routes use. */
export type CustomerPackageRoutes = { packages: Packages; limiters: { downloadLinks: WindowLimiter } };

export function customerPackageRoutes(app: FastifyInstance, services: CustomerPackageRoutes): void {
  const { packages, limiters } = services;

  app.get<{ Params: { licenseId: string } }>(
    '/v1/licenses/:licenseId/packages',
    {
      schema: {
        response: {
          200: record(
            {
              items: { type: 'array', items: ref('Package') },
              downloadable: { type: 'boolean' },
              reason: record({ code: { type: 'string', enum: ['LICENSE_NOT_ACTIVE'] }, message: { type: 'string' } }),
            },
            ['reason'],
          ),
        },
        tags: CUSTOMER_TAGS,
        summary: "The installation packages of the license's product, and whether the license allows downloading them now.",
        description: 'downloadable is false (with reason LICENSE_NOT_ACTIVE) once the license is expired past grace, suspended or ended.',
        params: params({ licenseId: 'lic_' }),
      },
    },
    async (request) => {
      const { customerId } = requireCustomer(request);
      return valueOf(await packages.forLicense(request.params.licenseId, customerId));
    },
  );

  app.post<{ Params: { licenseId: string; packageId: string } }>(
    '/v1/licenses/:licenseId/packages/:packageId/link',
    {
      schema: {
        response: {
          200: record({ url: { type: 'string', description: 'Works without a login until expiresAt.' }, expiresAt: { type: 'integer' } }),
        },
        tags: CUSTOMER_TAGS,
        summary: 'A signed download link for one package, working for TESSERA_DOWNLOAD_LINK_MINUTES (15) without a login (curl -O works).',
        description:
          '403 LICENSE_NOT_ACTIVE when the license is expired past grace, suspended or ended. Limited per user per minute (429 RATE_LIMITED).',
        params: params({ licenseId: 'lic_', packageId: 'pkg_' }),
      },
    },
    async (request, reply) => {
      const principal = requireCustomer(request);
      enforce(limiters.downloadLinks, principal.userId, reply, 'download links');
      reply.header('cache-control', 'no-store');
      return valueOf(await packages.link(request.params.licenseId, request.params.packageId, principal));
    },
  );
}
