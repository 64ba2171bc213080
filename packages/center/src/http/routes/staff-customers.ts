/**
 * Staff's catalogue and customers (/v1/staff/products, /v1/staff/customers): products with the roles, limits
 * and features they offer; customers, their license cards, and the setup-link invitation that lets a customer's
 * first user register. Roles: admin defines products; admin and sales manage customers.
 */
import type { FastifyInstance } from 'fastify';
import type { CenterServices } from '../../app.js';
import { requireStaff } from '../auth.js';
import { body, names, PAGE_QUERY, params, text, valueOf } from '../route-kit.js';

const TAGS = ['customers (staff)'];
const SELL = ['admin', 'sales'] as const;
const CUSTOMER = { params: params({ customerId: 'cus_' }) };

type CustomerParams = { Params: { customerId: string } };

export function staffCustomerRoutes(app: FastifyInstance, services: CenterServices): void {
  const { licenses, licenseQueries, accounts } = services;

  app.post<{ Body: { slug: string; name: string; roles: string[]; limits?: string[]; features?: string[] } }>(
    '/v1/staff/products',
    {
      schema: {
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
      const product = valueOf(await licenses.createProduct({ ...rest, limits, features }, staff.userId));
      reply.status(201);
      return product;
    },
  );

  app.post<{ Body: { name: string } }>(
    '/v1/staff/customers',
    { schema: { tags: TAGS, summary: 'Create a customer (a company). Roles: admin, sales.', ...body({ name: text(200) }) } },
    async (request, reply) => {
      const staff = requireStaff(request, SELL);
      const customer = valueOf(await licenses.createCustomer(request.body, staff.userId));
      reply.status(201);
      return customer;
    },
  );

  app.post<CustomerParams & { Body: { email: string } }>(
    '/v1/staff/customers/:customerId/invite',
    {
      schema: {
        tags: TAGS,
        summary: "Mail a setup link to a customer's user, who registers from it. Roles: admin, sales.",
        ...CUSTOMER,
        ...body({ email: text(320) }),
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request, SELL);
      valueOf(await accounts.inviteCustomer(request.params.customerId, request.body.email, staff.userId));
      reply.status(202);
      return { message: `A setup link is on its way to ${request.body.email.trim().toLowerCase()}.` };
    },
  );

  app.get<CustomerParams & { Querystring: { limit?: number; cursor?: string } }>(
    '/v1/staff/customers/:customerId/licenses',
    { schema: { tags: TAGS, summary: "A customer's license cards, as the customer sees them.", ...CUSTOMER, querystring: PAGE_QUERY } },
    async (request) => {
      requireStaff(request);
      return valueOf(await licenseQueries.listForCustomer(request.params.customerId, request.query));
    },
  );
}
