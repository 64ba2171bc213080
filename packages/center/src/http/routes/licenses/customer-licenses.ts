/**
 * A customer's own licenses (/v1/licenses): the cards, the details page, the key to copy, binding the License
 * Manager once, and switching online/offline. Every query is scoped to the caller's customer, so another
 * customer's license answers 404 exactly like one that does not exist.
 */
import type { FastifyInstance } from 'fastify';
import { requireCustomer } from '../../auth.js';
import { enforce } from '../../rate-limit.js';
import { valueOf } from '@tessera/http';
import { body, PAGE_QUERY, params } from '../../route-kit.js';
import type { Licenses } from '../../../services/licenses/licenses.js';
import type { LicenseQueries } from '../../../services/licenses/license-queries.js';
import type { RenewalRequests } from '../../../services/licenses/renewal-requests.js';
import type { WindowLimiter } from '../../rate-limit.js';
import { MESSAGE, page, record, ref } from '../../schemas.js';

const TAGS = ['licenses (customer)'];
const LICENSE = { params: params({ licenseId: 'lic_' }) };
export const LMID_FIELD = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description:
    'The LMID `tessera-lm info` shows (XXXX-XXXX-XXXX-XXXX); spaces, dashes and letter case are forgiven, the check character is verified.',
} as const;
export const MODE_FIELD = { type: 'string', enum: ['online', 'offline'] } as const;

type LicenseParams = { Params: { licenseId: string } };

/** The services these routes use. */
export type CustomerLicenseRoutes = {
  licenses: Licenses;
  licenseQueries: LicenseQueries;
  renewalRequests: RenewalRequests;
  limiters: { keyReads: WindowLimiter };
};

export function licenseRoutes(app: FastifyInstance, services: CustomerLicenseRoutes): void {
  const { licenses, licenseQueries, limiters, renewalRequests } = services;

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/v1/licenses',
    {
      schema: {
        response: { 200: page(ref('LicenseCard')) },
        tags: TAGS,
        summary: 'My license cards, newest first (keyset pages).',
        querystring: PAGE_QUERY,
      },
    },
    async (request) => {
      const { customerId } = requireCustomer(request);
      return valueOf(await licenseQueries.listForCustomer(customerId, request.query));
    },
  );

  app.get<LicenseParams>(
    '/v1/licenses/:licenseId',
    {
      schema: {
        response: { 200: ref('LicenseDetails') },
        tags: TAGS,
        summary: 'Details: basic info, resources, key section, subscription, last usage, history.',
        ...LICENSE,
      },
    },
    async (request) => {
      const { customerId } = requireCustomer(request);
      return valueOf(await licenseQueries.details(request.params.licenseId, { customerId }));
    },
  );

  app.get<LicenseParams>(
    '/v1/licenses/:licenseId/key',
    {
      schema: {
        response: { 200: ref('LicenseKey') },
        tags: TAGS,
        summary: 'The key to copy: the online key, or in offline mode the signed license for the bound LMID.',
        description: 'Answers with Cache-Control: no-store. Limited per user per minute (429 RATE_LIMITED with Retry-After).',
        ...LICENSE,
      },
    },
    async (request, reply) => {
      const principal = requireCustomer(request);
      enforce(limiters.keyReads, principal.userId, reply, 'key reads');
      reply.header('cache-control', 'no-store');
      return valueOf(await licenses.key(request.params.licenseId, { customerId: principal.customerId }));
    },
  );

  app.post<LicenseParams & { Body: { lmid: string } }>(
    '/v1/licenses/:licenseId/bind',
    {
      schema: {
        response: { 200: ref('License') },
        tags: TAGS,
        summary: 'Bind the license to a License Manager by its LMID, once. Binding again to the same LMID changes nothing.',
        ...LICENSE,
        ...body({ lmid: LMID_FIELD }),
      },
    },
    async (request) => {
      const principal = requireCustomer(request);
      return valueOf(
        await licenses.bindLmid(request.params.licenseId, request.body.lmid, { customerId: principal.customerId }, principal.userId),
      );
    },
  );

  app.put<LicenseParams & { Body: { mode: 'online' | 'offline' } }>(
    '/v1/licenses/:licenseId/mode',
    {
      schema: {
        response: { 200: ref('License') },
        tags: TAGS,
        summary: 'Switch between online (the LM syncs with LC) and offline (copy a signed key).',
        ...LICENSE,
        ...body({ mode: MODE_FIELD }),
      },
    },
    async (request) => {
      const principal = requireCustomer(request);
      return valueOf(
        await licenses.setMode(request.params.licenseId, request.body.mode, { customerId: principal.customerId }, principal.userId),
      );
    },
  );

  app.post<LicenseParams & { Body: { months: 1 | 12 } }>(
    '/v1/licenses/:licenseId/renewal-request',
    {
      schema: {
        response: {
          200: record({
            marketplaceUrl: { type: 'string', description: 'Where a license bought on AWS Marketplace renews.' },
            message: { type: 'string' },
          }),
          202: MESSAGE,
        },
        tags: TAGS,
        summary: "RENEW: ask the vendor's sales staff to renew the license by 1 month or 1 year; they are mailed and renew it.",
        description:
          'Answers 202. Asking again within a day changes nothing and mails nobody. A license bought on AWS Marketplace answers 200 with marketplaceUrl, where it renews.',
        ...LICENSE,
        ...body({ months: { type: 'integer', enum: [1, 12] } }),
      },
    },
    async (request, reply) => {
      const principal = requireCustomer(request);
      const { repeated, marketplaceUrl } = valueOf(
        await renewalRequests.request(request.params.licenseId, request.body.months, principal.customerId, principal.userId),
      );
      if (marketplaceUrl !== undefined) {
        return {
          marketplaceUrl,
          message: 'This license was bought on AWS Marketplace: renew it there; the new term reaches this page on its own.',
        };
      }
      reply.status(202);
      return {
        message: repeated
          ? 'You asked already today; the vendor has your request.'
          : 'Your request is with the vendor’s sales team; the license shows the new expiry once they renew it.',
      };
    },
  );
}
