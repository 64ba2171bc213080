/**
 * Staff's contracts (/v1/staff/contracts): the sales flow, where selling a customer a product's quantities for a
 * term creates the contract and its license at once; and the contracts, all or one customer's, and one by id.
 * Roles: admin and sales sell; every staff role reads.
 */
import type { FastifyInstance } from 'fastify';
import type { ContractInput, Contracts } from '../../../services/contracts/contracts.js';
import { requireStaff } from '../../auth.js';
import { valueOf } from '@tessera/http';
import { body, counts, grantAsSent, id, millis, names, object, PAGE_QUERY, params } from '../../route-kit.js';
import { MODE_FIELD } from '../licenses/customer-licenses.js';
import type { Sales } from '../../../services/contracts/sales.js';
import { page, record, ref } from '../../schemas.js';

const TAGS = ['contracts (staff)'];
const SELL = ['admin', 'sales'] as const;
const CONTRACTS_QUERY = object({ ...PAGE_QUERY.properties, customerId: { ...id('cus_'), description: "Only this customer's." } }, []);

/** The services these routes use. */
export type StaffContractRoutes = { contracts: Contracts; sales: Sales };

export function staffContractRoutes(app: FastifyInstance, services: StaffContractRoutes): void {
  const { contracts, sales } = services;

  app.post<{ Body: ContractInput }>(
    '/v1/staff/contracts',
    {
      schema: {
        response: {
          201: record({
            contract: ref('Contract'),
            license: ref('License'),
            mailedTo: { type: 'array', items: { type: 'string' }, description: 'Who the Setup License mail went to.' },
          }),
        },
        tags: TAGS,
        summary:
          "Sell a customer a product for 1 month or 1 year: the contract and its license (nodes = quantities, expiring when the term ends); the customer's users get a Setup License mail (mailedTo; none when the customer has no user yet: invite one). Roles: admin, sales.",
        ...body(
          {
            customerId: id('cus_'),
            productId: id('prd_'),
            term: { type: 'string', enum: ['1m', '1y'], description: 'One month or one year, in calendar months.' },
            autoRenew: { type: 'boolean', description: 'Renew by one term when the term ends (an hourly job).' },
            quantities: counts('Nodes per role of the product, e.g. { "query": 2, "storage": 3 }.'),
            startsAt: millis('Start, epoch milliseconds (default: now).'),
            limits: counts('Named limits of the product.'),
            features: names('Features of the product.'),
            mode: MODE_FIELD,
          },
          ['customerId', 'productId', 'term', 'autoRenew', 'quantities'],
        ),
      },
      preValidation: grantAsSent({ counts: ['quantities', 'limits'], lists: ['features'] }),
    },
    async (request, reply) => {
      const staff = requireStaff(request, SELL);
      const created = valueOf(await sales.sell(request.body, staff.userId));
      reply.status(201);
      return created;
    },
  );

  app.get<{ Querystring: { customerId?: string; limit?: number; cursor?: string } }>(
    '/v1/staff/contracts',
    {
      schema: {
        response: { 200: page(ref('Contract')) },
        tags: TAGS,
        summary: 'Contracts newest first (keyset pages), of one customer with customerId.',
        querystring: CONTRACTS_QUERY,
      },
    },
    async (request) => {
      requireStaff(request);
      return valueOf(await contracts.list(request.query));
    },
  );

  app.get<{ Params: { contractId: string } }>(
    '/v1/staff/contracts/:contractId',
    {
      schema: {
        response: { 200: ref('Contract') },
        tags: TAGS,
        summary: 'One contract with the ids of its licenses.',
        params: params({ contractId: 'ctr_' }),
      },
    },
    async (request) => {
      requireStaff(request);
      return valueOf(await contracts.get(request.params.contractId));
    },
  );
}
