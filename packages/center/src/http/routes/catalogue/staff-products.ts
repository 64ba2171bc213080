/**
 * Staff's products (/v1/staff/products): the node roles, limits and features each offers, and the default outage
 * grace of its licenses. Role: admin defines products and sets the grace; every staff role reads.
 */
import type { FastifyInstance } from 'fastify';
import { valueOf } from '@tessera/http';
import type { Catalogue } from '../../../services/catalogue/catalogue.js';
import { requireStaff } from '../../auth.js';
import { body, names, numberAsSent, OUTAGE_GRACE_HOURS, params, text } from '../../route-kit.js';
import { items, ref } from '../../schemas.js';

const TAGS = ['customers (staff)'];

/** The services these routes use. */
export type StaffProductRoutes = { catalogue: Catalogue };

export function staffProductRoutes(app: FastifyInstance, services: StaffProductRoutes): void {
  const { catalogue } = services;

  app.get(
    '/v1/staff/products',
    {
      schema: {
        response: { 200: items(ref('Product')) },
        tags: TAGS,
        summary: 'Every product with its node roles, limits and features, by slug.',
      },
    },
    async (request) => {
      requireStaff(request);
      return { items: await catalogue.listProducts() };
    },
  );

  app.post<{ Body: { slug: string; name: string; roles: string[]; limits?: string[]; features?: string[]; outageGraceHours?: number } }>(
    '/v1/staff/products',
    {
      schema: {
        response: { 201: ref('Product') },
        tags: TAGS,
        summary: 'Define a product: the node roles it licenses, its named limits and features. Role: admin.',
        ...body(
          {
            slug: { ...text(32), description: 'The product name in licenses, e.g. graphdb.' },
            name: text(200),
            roles: names('Node roles, e.g. ["query", "storage"].'),
            limits: names('Named numeric limits.'),
            features: names('Feature flags.'),
            outageGraceHours: {
              ...OUTAGE_GRACE_HOURS,
              description:
                "Hours a running node keeps its seat while its License Manager is silent, for the product's licenses without a grace of their own: 0 is strict (the seat ends with its lease); left out, 72.",
            },
          },
          ['slug', 'name', 'roles'],
        ),
      },
      preValidation: numberAsSent('outageGraceHours'),
    },
    async (request, reply) => {
      const staff = requireStaff(request, ['admin']);
      const { limits = [], features = [], ...rest } = request.body;
      const product = valueOf(await catalogue.createProduct({ ...rest, limits, features }, staff.userId));
      reply.status(201);
      return product;
    },
  );
  app.put<{ Params: { productId: string }; Body: { outageGraceHours: number } }>(
    '/v1/staff/products/:productId/outage-grace',
    {
      schema: {
        response: { 200: ref('ProductGraceChange') },
        tags: TAGS,
        summary:
          "Set the product's default outage grace. Every license that follows it (has no grace of its own) is signed again with a raised serial and a history entry. Role: admin.",
        params: params({ productId: 'prd_' }),
        ...body({ outageGraceHours: { ...OUTAGE_GRACE_HOURS, description: 'Hours; 0 is strict.' } }),
      },
      preValidation: numberAsSent('outageGraceHours'),
    },
    async (request) => {
      const staff = requireStaff(request, ['admin']);
      return valueOf(await catalogue.setOutageGrace(request.params.productId, request.body.outageGraceHours, staff.userId));
    },
  );
}
