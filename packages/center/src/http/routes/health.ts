/** Liveness, and the public trust bundle License Managers are configured with. */
import type { FastifyInstance } from 'fastify';
import type { CenterServices } from '../../app.js';

const TAGS = ['service'];

export function healthRoutes(app: FastifyInstance, services: CenterServices): void {
  app.get('/health', { schema: { tags: TAGS, summary: 'Liveness and the database kind.' } }, async () => ({
    status: 'ok',
    database: services.dialect,
  }));
  app.get(
    '/v1/trust-bundle',
    { schema: { tags: TAGS, summary: 'The public trust bundle (every signing key) to configure License Managers with.' } },
    async (_request, reply) => {
      reply.type('application/json');
      return services.keys.trustBundle();
    },
  );
}
