/**
 * GET /v1/license: what the SDK decides on by itself (DESIGN decision 8): the signed license, the root-signed trust
 * bundle, this LM's public identity, and, for the SDK's fresh nonce, an answer signed with the identity key (the
 * license held, the bundle serial, the LM's clock and its high-water mark), so a recorded answer served again is
 * STALE_ANSWER to the SDK. Without a nonce (an older SDK) the answer is null. The LM's own status, code and detail
 * stay, as information.
 */
import { NONCE } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import { licenseView } from '../../services/index.js';
import type { LmServices } from '../../services/index.js';
import type { LicenseResponse } from '@tessera/core';
import type { SeatAccess } from '../seat-access.js';

export function licenseRoute(app: FastifyInstance, services: LmServices, access: SeatAccess, now: () => number): void {
  app.get<{ Querystring: { nonce?: string } }>(
    '/v1/license',
    {
      onRequest: access.requireSecret,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { nonce: { type: 'string', pattern: NONCE.source } },
        },
      },
    },
    async (request): Promise<LicenseResponse> => licenseView(services, request.query.nonce ?? null, now()),
  );
}
