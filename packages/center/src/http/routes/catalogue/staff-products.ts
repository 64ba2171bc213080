/**
 * Staff's products (/v1/staff/products): the node roles, limits and features each offers. Role: admin defines
 * products; every staff role reads.
 */
import type { FastifyInstance } from 'fastify';
import { valueOf } from '@tessera/http';
import type { Catalogue } from '../../../services/catalogue/catalogue.js';
import { requireStaff } from '../../auth.js';
import { body, names, text } from '../../route-kit.js';
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

  app.post<{ Body: { slug: string; name: string; roles: string[]; limits?: string[]; features?: string[] } }>(
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
          },
          ['slug', 'name', 'roles'],
        ),
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request, ['admin']);
      const { limits = [], features = [], ...rest } = request.body;
      const product = valueOf(await catalogue.createProduct({ ...rest, limits, features }, staff.userId));
      reply.status(201);
      return product;
    },
  );
}
