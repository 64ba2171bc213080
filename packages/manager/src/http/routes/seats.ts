/** The seat API products use (through the SDK): checkout, heartbeat, release. No token: products are on the LAN. */
import type { FastifyInstance } from 'fastify';
import type { LmServices } from '../../services/index.js';
import { ApiError, statusFor } from '../errors.js';
import type { CheckoutRequest, CheckoutResponse, HeartbeatResponse } from '../api-types.js';

const NAME = '^[a-z][a-z0-9_-]{0,31}$';
const leaseBody = {
  type: 'object',
  required: ['leaseId'],
  additionalProperties: false,
  properties: { leaseId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export function seatRoutes(app: FastifyInstance, services: LmServices): void {
  app.post<{ Body: CheckoutRequest }>(
    '/v1/seats/checkout',
    {
      schema: {
        body: {
          type: 'object',
          required: ['product', 'role', 'nodeId'],
          additionalProperties: false,
          properties: {
            product: { type: 'string', pattern: NAME },
            role: { type: 'string', pattern: NAME },
            nodeId: { type: 'string', minLength: 1, maxLength: 200 },
            host: { type: 'string', maxLength: 253 },
          },
        },
      },
    },
    async (request): Promise<CheckoutResponse> => {
      const outcome = services.seats.checkout(request.body);
      if (!outcome.ok) throw new ApiError(outcome.code, statusFor(outcome.code), outcome.detail);
      await outcome.committed;
      return {
        leaseId: outcome.lease.id,
        expiresAt: new Date(outcome.lease.expiresAt).toISOString(),
        ttlSeconds: Math.round(services.ttlMs / 1000),
        token: outcome.token,
        status: outcome.verdict.status,
        code: outcome.verdict.code,
      };
    },
  );

  app.post<{ Body: { leaseId: string } }>(
    '/v1/seats/heartbeat',
    {
      schema: {
        body: leaseBody,
        response: {
          200: {
            type: 'object',
            properties: {
              leaseId: { type: 'string' },
              expiresAt: { type: 'string' },
              status: { type: 'string' },
              code: { type: 'string' },
            },
          },
        },
      },
    },
    async (request): Promise<HeartbeatResponse> => {
      const outcome = services.seats.heartbeat(request.body.leaseId);
      if (!outcome.ok) throw new ApiError(outcome.code, statusFor(outcome.code), outcome.detail);
      return {
        leaseId: outcome.lease.id,
        expiresAt: new Date(outcome.lease.expiresAt).toISOString(),
        status: outcome.verdict.status,
        code: outcome.verdict.code,
      };
    },
  );

  app.post<{ Body: { leaseId: string } }>('/v1/seats/release', { schema: { body: leaseBody } }, async (request) => {
    if (!services.seats.release(request.body.leaseId)) {
      throw new ApiError('LEASE_NOT_FOUND', 404, 'This seat lease is unknown or was already released.');
    }
    return { released: true };
  });
}
