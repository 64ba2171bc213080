/**
 * GET /v1/license: what the SDK decides on by itself (DESIGN decision 8): the signed license, the root-signed trust
 * bundle, this LM's public identity, and, for the SDK's fresh nonce, an answer signed with the identity key (the
 * license held, the bundle serial, the LM's clock and its high-water mark), so a recorded answer served again is
 * STALE_ANSWER to the SDK. Without a nonce (an older SDK) the answer is null. The LM's own status, code and detail
 * stay, as information.
 */
import { encodeBase64Url, NONCE, signLmAnswer } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import type { LmServices } from '../../services/index.js';
import type { LicenseResponse } from '../api-types.js';
import type { SeatAccess } from '../seat-access.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

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
    async (request): Promise<LicenseResponse> => {
      const verdict = services.license.verdict();
      const license = services.license.current;
      const bundle = services.trust.signedBundle;
      const { nonce } = request.query;
      const answer =
        nonce === undefined
          ? null
          : signLmAnswer(
              {
                nonce,
                lmid: services.identity.lmid,
                license: license ? { id: license.id, serial: license.serial } : null,
                bundleSerial: bundle?.serial ?? null,
                lmTime: new Date(now()).toISOString(),
                highWater: iso(services.license.highWaterTime),
              },
              services.identity,
            );
      return {
        lmid: services.identity.lmid,
        lmPublicKey: encodeBase64Url(services.identity.publicKeyRaw),
        hostDigest: encodeBase64Url(services.identity.hostDigest),
        status: verdict.status,
        code: verdict.code,
        detail: verdict.detail,
        license: license?.key ?? null,
        trust: bundle?.text ?? null,
        answer,
      };
    },
  );
}
