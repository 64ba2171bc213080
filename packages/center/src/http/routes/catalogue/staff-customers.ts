/**
 * Staff's customers (/v1/staff/customers): a page, a name search, one with its users, contracts and license
 * count, their license cards, and the setup-link invitation that lets a customer's first user register. Roles:
 * admin and sales manage customers; every staff role reads.
 */
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../../auth.js';
import { valueOf } from '@tessera/http';
import { body, object, PAGE_QUERY, params, text } from '../../route-kit.js';
import type { Catalogue } from '../../../services/catalogue/catalogue.js';
import type { LicenseQueries } from '../../../services/licenses/license-queries.js';
import type { Accounts } from '../../../services/accounts/accounts.js';
import type { Customers } from '../../../services/catalogue/customers.js';
import { MESSAGE, page, record, ref } from '../../schemas.js';

const TAGS = ['customers (staff)'];
const SELL = ['admin', 'sales'] as const;
const CUSTOMER = { params: params({ customerId: 'cus_' }) };
const CUSTOMERS_QUERY = object(
  {
    ...PAGE_QUERY.properties,
    q: { type: 'string', minLength: 1, maxLength: 200, description: 'Only customers whose name contains this text (any letter case).' },
  },
  [],
);

type CustomerParams = { Params: { customerId: string } };

/** The services these routes use. */
export type StaffCustomerRoutes = { catalogue: Catalogue; licenseQueries: LicenseQueries; accounts: Accounts; customers: Customers };

export function staffCustomerRoutes(app: FastifyInstance, services: StaffCustomerRoutes): void {
  const { catalogue, licenseQueries, accounts, customers } = services;

  app.post<{ Body: { name: string } }>(
    '/v1/staff/customers',
    {
      schema: {
        response: { 201: record({ id: { type: 'string' }, name: { type: 'string' } }) },
        tags: TAGS,
        summary: 'Create a customer (a company). Roles: admin, sales.',
        ...body({ name: text(200) }),
      },
    },
    async (request, reply) => {
      const staff = requireStaff(request, SELL);
      const customer = valueOf(await catalogue.createCustomer(request.body, staff.userId));
      reply.status(201);
      return customer;
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string; q?: string } }>(
    '/v1/staff/customers',
    {
      schema: {
        response: { 200: page(ref('CustomerSummary')) },
        tags: TAGS,
        summary: 'Customers, newest first (keyset pages); q finds them by name.',
        querystring: CUSTOMERS_QUERY,
      },
    },
    async (request) => {
      requireStaff(request);
      return valueOf(await customers.list(request.query));
    },
  );

  app.get<CustomerParams>(
    '/v1/staff/customers/:customerId',
    {
      schema: {
        response: { 200: ref('CustomerDetails') },
        tags: TAGS,
        summary: 'One customer: its users (no secrets), newest contracts and license count.',
        ...CUSTOMER,
      },
    },
    async (request) => {
      requireStaff(request);
      return valueOf(await customers.get(request.params.customerId));
    },
  );

  app.post<CustomerParams & { Body: { email: string } }>(
    '/v1/staff/customers/:customerId/invite',
    {
      schema: {
        response: { 202: MESSAGE },
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
    {
      schema: {
        response: { 200: page(ref('LicenseCard')) },
        tags: TAGS,
        summary: "A customer's license cards, as the customer sees them.",
        ...CUSTOMER,
        querystring: PAGE_QUERY,
      },
    },
    async (request) => {
      requireStaff(request);
      return valueOf(await licenseQueries.listForCustomer(request.params.customerId, request.query));
    },
  );
}
