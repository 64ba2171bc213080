/** Liveness, and the public trust bundle License Managers are configured with. */
import type { FastifyInstance } from 'fastify';
import type { CenterServices } from '../../app.js';

export function healthRoutes(app: FastifyInstance, services: CenterServices): void {
  app.get('/health', async () => ({ status: 'ok', database: services.dialect }));
  app.get('/v1/trust-bundle', async (_request, reply) => {
    reply.type('application/json');
    return services.keys.trustBundle();
  });
}
