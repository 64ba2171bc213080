/**
 * The seat API products use (through the SDK): checkout, heartbeat, release. No admin token: products are on the
 * LAN; with seats.secret set they send it in a header (seat-access.ts), and checkouts spend a per-address budget.
 */
import { NAME_PATTERN } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import type { LmServices } from '../../services/index.js';
import { ApiError, refuse } from '@tessera/http';
import type { SeatAccess } from '../seat-access.js';
import type {
  CheckoutRequest,
  CheckoutResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  ReleaseRequest,
  ReleaseResponse,
} from '@tessera/core';

const leaseId = { type: 'string', minLength: 1, maxLength: 64 } as const;
const instance = { type: 'string', minLength: 1, maxLength: 64 } as const;
// Heartbeat and release name the instance that holds the lease: a lease id seen on the way frees or keeps nothing.
const leaseBody = {
  type: 'object',
  required: ['leaseId', 'instance'],
  additionalProperties: false,
  properties: { leaseId, instance },
} as const;

export function seatRoutes(app: FastifyInstance, services: LmServices, access: SeatAccess): void {
  app.post<{ Body: CheckoutRequest }>(
    '/v1/seats/checkout',
    {
      onRequest: [access.requireSecret, access.checkoutBudget],
      schema: {
        body: {
          type: 'object',
          required: ['product', 'role', 'nodeId', 'instance'],
          additionalProperties: false,
          properties: {
            product: { type: 'string', pattern: NAME_PATTERN },
            role: { type: 'string', pattern: NAME_PATTERN },
            nodeId: { type: 'string', minLength: 1, maxLength: 200 },
            instance,
            host: { type: 'string', maxLength: 253 },
          },
        },
      },
    },
    async (request): Promise<CheckoutResponse> => {
      const outcome = await services.seats.checkout(request.body);
      if (!outcome.ok) throw ApiError.of(outcome);
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

  app.post<{ Body: HeartbeatRequest }>(
    '/v1/seats/heartbeat',
    {
      onRequest: access.requireSecret,
      schema: {
        body: leaseBody,
        response: {
          200: {
            type: 'object',
            properties: {
              leaseId: { type: 'string' },
              expiresAt: { type: 'string' },
              token: { type: 'string' },
              status: { type: 'string' },
              code: { type: 'string' },
            },
          },
        },
      },
    },
    async (request): Promise<HeartbeatResponse> => {
      const outcome = await services.seats.heartbeat(request.body);
      if (!outcome.ok) throw ApiError.of(outcome);
      return {
        leaseId: outcome.lease.id,
        expiresAt: new Date(outcome.lease.expiresAt).toISOString(),
        token: outcome.token,
        status: outcome.verdict.status,
        code: outcome.verdict.code,
      };
    },
  );

  app.post<{ Body: ReleaseRequest }>(
    '/v1/seats/release',
    { onRequest: access.requireSecret, schema: { body: leaseBody } },
    async (request): Promise<ReleaseResponse> => {
      // Another instance's lease gets the answer an unknown one gets: the caller learns nothing about it.
      if (!(await services.seats.release(request.body))) {
        throw refuse('LEASE_NOT_FOUND', 'This seat lease is unknown or was already released.');
      }
      return { released: true };
    },
  );
}
