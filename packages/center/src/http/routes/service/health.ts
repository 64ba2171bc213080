/** Liveness, and the public trust file (roots and root-signed bundle) License Managers are configured with. */
import type { FastifyInstance } from 'fastify';
import type { Dialect } from '../../../db/connect.js';
import type { TrustBundles } from '../../../services/trust/trust-bundles.js';
import { record, ref } from '../../schemas.js';

const TAGS = ['service'];

/** The services these routes use. */
export type HealthRoutes = { dialect: Dialect; trustBundles: TrustBundles };

export function healthRoutes(app: FastifyInstance, services: HealthRoutes): void {
  app.get(
    '/health',
    {
      schema: {
        response: { 200: record({ status: { type: 'string', enum: ['ok'] }, database: { type: 'string', enum: ['sqlite', 'postgres'] } }) },
        tags: TAGS,
        summary: 'Liveness and the database kind.',
      },
    },
    async () => ({
      status: 'ok',
      database: services.dialect,
    }),
  );
  app.get(
    '/v1/trust-bundle',
    {
      schema: {
        response: { 200: ref('TrustFile') },
        tags: TAGS,
        summary:
          "The trust file License Managers are configured with: the vendor's published roots and the root-signed bundle of every signing key.",
      },
    },
    async (_request, reply) => {
      reply.type('application/json');
      return services.trustBundles.file();
    },
  );
}
