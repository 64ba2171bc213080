/** GET /v1/staff/names: the names of customers, products and users by id, so staff pages show names, not ids. */
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../../auth.js';
import { object } from '../../route-kit.js';
import { ref } from '../../schemas.js';
import { MAX_NAMED } from '../../../services/catalogue/names.js';
import type { Names } from '../../../services/catalogue/names.js';

/** The services these routes use. */
export type StaffNameRoutes = { names: Names };

export function staffNameRoutes(app: FastifyInstance, services: StaffNameRoutes): void {
  app.get<{ Querystring: { ids: string } }>(
    '/v1/staff/names',
    {
      schema: {
        response: { 200: ref('Names') },
        tags: ['customers (staff)'],
        summary: `The names of up to ${MAX_NAMED} customers (cus_), products (prd_) and users (usr_), by id; an id that names nothing is left out.`,
        querystring: object({
          ids: {
            type: 'string',
            minLength: 1,
            maxLength: MAX_NAMED * 40,
            pattern: '^[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*$',
            description: 'Ids separated by commas.',
          },
        }),
      },
    },
    async (request) => {
      requireStaff(request);
      return { names: await services.names.of(request.query.ids.split(',')) };
    },
  );
}
