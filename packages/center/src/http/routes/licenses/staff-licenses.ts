/**
 * Staff's license work (/v1/staff/licenses, /v1/staff/request-codes, /v1/staff/clones): the sales flow's
 * licenses, renew and expand, bind and rebind, mode, outage grace, and offline keys issued from a License Manager's
 * request code.
 * Roles: sales and admin sell (create, renew, expand, issue); support and admin move bindings (rebind).
 * Anyone else, customers included, gets 404 as for a route that does not exist.
 */
import type { FastifyInstance } from 'fastify';
import type { LicenseInputOfStaff, Licenses } from '../../../services/licenses/licenses.js';
import type { IssueFromRequestCode, RequestCodes } from '../../../services/licenses/request-codes.js';
import { requireStaff } from '../../auth.js';
import { enforce } from '../../rate-limit.js';
import { valueOf } from '@tessera/http';
import { body, counts, id, millis, names, numberAsSent, object, OUTAGE_GRACE_HOURS, params, text } from '../../route-kit.js';
import { LMID_FIELD, MODE_FIELD } from './customer-licenses.js';
import type { LicenseQueries } from '../../../services/licenses/license-queries.js';
import type { RenewalRequests } from '../../../services/licenses/renewal-requests.js';
import type { SyncService } from '../../../services/sync/sync.js';
import type { WindowLimiter } from '../../rate-limit.js';
import { items, record, ref } from '../../schemas.js';

const TAGS = ['licenses (staff)'];
const SELL = ['admin', 'sales'] as const;
const MOVE = ['admin', 'support'] as const;
const LICENSE = { params: params({ licenseId: 'lic_' }) };
const REQUEST_CODE = {
  type: 'string',
  minLength: 1,
  maxLength: 65_536,
  description: 'The text `tessera-lm request-code` printed.',
} as const;

type LicenseParams = { Params: { licenseId: string } };
type CreateBody = Omit<LicenseInputOfStaff, 'contractId'>;

/** The services these routes use. */
export type StaffLicenseRoutes = {
  licenses: Licenses;
  licenseQueries: LicenseQueries;
  requestCodes: RequestCodes;
  renewalRequests: RenewalRequests;
  sync: SyncService;
  limiters: { keyReads: WindowLimiter };
  config: { rebindsPerYear: number };
};

export function staffLicenseRoutes(app: FastifyInstance, services: StaffLicenseRoutes): void {
  const { licenses, licenseQueries, requestCodes, sync, limiters, config, renewalRequests } = services;

  app.post<{ Body: CreateBody }>(
    '/v1/staff/licenses',
    {
      schema: {
        response: { 201: ref('License') },
        tags: TAGS,
        summary: 'Create a license of a product for a customer (serial 1, no LMID yet). Roles: admin, sales.',
        ...body(
          {
            customerId: id('cus_'),
            productId: id('prd_'),
            nodes: counts('Seats per role of the product, e.g. { "query": 2, "storage": 3 }.'),
            limits: counts('Named limits of the product.'),
            features: names('Features of the product.'),
            startsAt: millis('Start, epoch milliseconds.'),
            expiresAt: millis('Expiry, epoch milliseconds.'),
            mode: MODE_FIELD,
          },
          ['customerId', 'productId', 'nodes', 'startsAt', 'expiresAt'],
        ),
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request, SELL);
      const license = valueOf(await licenses.createLicense(request.body, staff.userId));
      reply.status(201);
      return license;
    },
  );

  app.get<LicenseParams>(
    '/v1/staff/licenses/:licenseId',
    {
      schema: {
        response: { 200: ref('LicenseDetails') },
        tags: TAGS,
        summary: "Any license's details page, as its customer sees it.",
        ...LICENSE,
      },
    },
    async (request) => {
      requireStaff(request);
      return valueOf(await licenseQueries.details(request.params.licenseId, { customerId: null }));
    },
  );

  app.post<LicenseParams & { Body: { lmid: string } }>(
    '/v1/staff/licenses/:licenseId/bind',
    {
      schema: {
        response: { 200: ref('License') },
        tags: TAGS,
        summary: 'Bind an unbound license to an LMID (as the customer would).',
        ...LICENSE,
        ...body({ lmid: LMID_FIELD }),
      },
    },
    async (request) => {
      const staff = requireStaff(request);
      return valueOf(await licenses.bindLmid(request.params.licenseId, request.body.lmid, { customerId: null }, staff.userId));
    },
  );

  app.post<LicenseParams & { Body: { lmid: string; reason: string } }>(
    '/v1/staff/licenses/:licenseId/rebind',
    {
      schema: {
        response: { 200: ref('License') },
        tags: TAGS,
        summary: `Move a bound license to another LMID (a replaced host), with a reason; limited per license per year. Roles: admin, support.`,
        ...LICENSE,
        ...body({ lmid: LMID_FIELD, reason: text(500) }),
      },
    },
    async (request) => {
      const staff = requireStaff(request, MOVE);
      const { lmid, reason } = request.body;
      return valueOf(
        await licenses.rebind(request.params.licenseId, lmid, reason, staff.userId, { rebindsPerYear: config.rebindsPerYear }),
      );
    },
  );

  app.put<LicenseParams & { Body: { mode: 'online' | 'offline' } }>(
    '/v1/staff/licenses/:licenseId/mode',
    {
      schema: {
        response: { 200: ref('License') },
        tags: TAGS,
        summary: 'Switch the license between online and offline.',
        ...LICENSE,
        ...body({ mode: MODE_FIELD }),
      },
    },
    async (request) => {
      const staff = requireStaff(request);
      return valueOf(await licenses.setMode(request.params.licenseId, request.body.mode, { customerId: null }, staff.userId));
    },
  );

  app.put<LicenseParams & { Body: { outageGraceHours: number | null } }>(
    '/v1/staff/licenses/:licenseId/outage-grace',
    {
      schema: {
        response: { 200: ref('License') },
        tags: TAGS,
        summary:
          "Set the license's own outage grace, or null to follow its product's default; the serial rises and the history says what changed. Roles: admin, sales.",
        ...LICENSE,
        ...body({
          outageGraceHours: {
            ...OUTAGE_GRACE_HOURS,
            type: ['integer', 'null'],
            description: "Hours a running node keeps its seat while its License Manager is silent (0: strict); null follows the product's.",
          },
        }),
      },
      preValidation: numberAsSent('outageGraceHours', true),
    },
    async (request) => {
      const staff = requireStaff(request, SELL);
      return valueOf(await licenses.setOutageGrace(request.params.licenseId, request.body.outageGraceHours, staff.userId));
    },
  );

  app.post<LicenseParams & { Body: { months: 1 | 12 } }>(
    '/v1/staff/licenses/:licenseId/renew',
    {
      schema: {
        response: { 200: ref('License') },
        tags: TAGS,
        summary: 'Extend the term by 1 month or 1 year from the current expiry; the serial rises. Roles: admin, sales.',
        ...LICENSE,
        ...body({ months: { type: 'integer', enum: [1, 12] } }),
      },
    },
    async (request) => {
      const staff = requireStaff(request, SELL);
      return valueOf(await licenses.renew(request.params.licenseId, request.body.months, staff.userId));
    },
  );

  app.post<LicenseParams & { Body: { nodes: Record<string, number> } }>(
    '/v1/staff/licenses/:licenseId/expand',
    {
      schema: {
        response: { 200: ref('License') },
        tags: TAGS,
        summary: 'Add seats per role; the serial rises. Roles: admin, sales.',
        ...LICENSE,
        ...body({ nodes: counts('Seats to add per role, e.g. { "query": 2 }.') }),
      },
    },
    async (request) => {
      const staff = requireStaff(request, SELL);
      return valueOf(await licenses.expand(request.params.licenseId, request.body.nodes, staff.userId));
    },
  );

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['resume', 'active'],
  ] as const) {
    app.post<LicenseParams & { Body: { reason: string } }>(
      `/v1/staff/licenses/:licenseId/${action}`,
      {
        schema: {
          response: { 200: ref('License') },
          tags: TAGS,
          summary:
            status === 'suspended'
              ? 'Suspend a license, with a reason: its online key stops syncing and no key is handed out (an offline key already copied works until it expires). Roles: admin, sales.'
              : 'Resume a suspended license, with a reason. Roles: admin, sales.',
          ...LICENSE,
          ...body({ reason: text(500) }),
        },
      },
      async (request) => {
        const staff = requireStaff(request, SELL);
        return valueOf(await licenses.setStatus(request.params.licenseId, status, request.body.reason, staff.userId));
      },
    );
  }

  app.post<{ Body: { requestCode: string; productId?: string } }>(
    '/v1/staff/request-codes/preview',
    {
      schema: {
        response: { 200: ref('RequestCodePreview') },
        tags: TAGS,
        summary:
          'Everything a pasted request code asks for (the verified LMID, contact, host, product, nodes, limits, features, months), with flags for what productId (else the product the code names) does not define. Nothing is stored.',
        ...body({ requestCode: REQUEST_CODE, productId: id('prd_') }, ['requestCode']),
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request);
      enforce(limiters.keyReads, staff.userId, reply, 'request-code checks');
      return valueOf(await requestCodes.preview(request.body.requestCode, request.body.productId));
    },
  );

  app.post<{ Body: IssueFromRequestCode & { requestCode: string } }>(
    '/v1/staff/request-codes/issue',
    {
      schema: {
        response: {
          201: record({
            license: ref('License'),
            offlineKey: { type: 'string', description: "The signed license for the code's LMID: what the customer loads." },
          }),
        },
        tags: TAGS,
        summary:
          "Issue an offline key for the code's LMID holding exactly `grant`, what staff confirmed (nothing is taken from the code): a new license, or new content for licenseId. Roles: admin, sales.",
        ...body(
          {
            requestCode: REQUEST_CODE,
            customerId: id('cus_'),
            productId: id('prd_'),
            licenseId: id('lic_'),
            grant: object({
              nodes: counts('Seats per role to grant; a role left out gets none.'),
              limits: counts('Limits to grant; a limit left out is not granted.'),
              features: names('Features to grant; a feature left out is not granted.'),
              months: { type: 'integer', minimum: 1, maximum: 120, description: 'The term, from now.' },
            }),
          },
          ['requestCode', 'customerId', 'productId', 'grant'],
        ),
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request, SELL);
      enforce(limiters.keyReads, staff.userId, reply, 'key issues');
      const { requestCode, ...input } = request.body;
      reply.status(201).header('cache-control', 'no-store');
      return valueOf(await requestCodes.issue(requestCode, input, staff.userId));
    },
  );

  app.get(
    '/v1/staff/clones',
    {
      schema: {
        response: { 200: items(record({ lmid: { type: 'string' }, hostnames: { type: 'array', items: { type: 'string' } } })) },
        tags: TAGS,
        summary: 'LMIDs seen syncing from more than one host: likely copied License Managers.',
      },
    },
    async (request) => {
      requireStaff(request);
      return { items: await sync.likelyClones() };
    },
  );

  app.get(
    '/v1/staff/renewal-requests',
    {
      schema: {
        response: { 200: items(ref('RenewalRequest')) },
        tags: TAGS,
        summary: "Customers' RENEW requests of the last 90 days not yet followed by a renewal, oldest first.",
      },
    },
    async (request) => {
      requireStaff(request);
      return { items: await renewalRequests.open() };
    },
  );
}
