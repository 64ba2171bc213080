/** GET /v1/staff/first-steps: which of the first steps (product, customer, contract, invitation) are done. */
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../../auth.js';
import { ref } from '../../schemas.js';
import type { FirstStepsService } from '../../../services/onboarding/first-steps.js';

/** The services these routes use. */
export type FirstStepsRoutes = { firstSteps: FirstStepsService };

export function firstStepsRoutes(app: FastifyInstance, services: FirstStepsRoutes): void {
  app.get(
    '/v1/staff/first-steps',
    {
      schema: {
        response: { 200: ref('FirstSteps') },
        tags: ['customers (staff)'],
        summary: 'Which first steps of a new License Center are done: a product, a customer, a contract, an invited customer user.',
      },
    },
    async (request) => {
      requireStaff(request);
      return services.firstSteps.status();
    },
  );
}
