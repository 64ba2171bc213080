/**
 * Admin routes (load a key, sync, make a request code): they need the admin token the daemon writes into
 * dataPath. Failed token attempts are throttled per address.
 */
import { createRequestCode } from '@tessera/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hostname, platform, arch } from 'node:os';
import { infoView } from '../../services/index.js';
import type { LmServices } from '../../services/index.js';
import { tokenMatches } from '../../identity.js';
import { ApiError, statusFor } from '../errors.js';
import type { LoadRequest, RequestCodeRequest } from '../api-types.js';
import { LM_VERSION } from '../../version.js';

const FAILURES_ALLOWED = 10;
const FAILURE_WINDOW_MS = 60_000;
const NAME = '^[a-z][a-z0-9_-]{0,31}$';
const counts = {
  type: 'object',
  maxProperties: 64,
  propertyNames: { pattern: NAME },
  additionalProperties: { type: 'integer', minimum: 0, maximum: 1000000 },
};

export function adminRoutes(app: FastifyInstance, services: LmServices, now: () => number): void {
  const failures = new Map<string, { count: number; since: number }>();

  const authorize = async (request: FastifyRequest) => {
    const entry = failures.get(request.ip);
    const time = now();
    if (entry && time - entry.since < FAILURE_WINDOW_MS && entry.count >= FAILURES_ALLOWED) {
      throw new ApiError('RATE_LIMITED', 429, 'Too many wrong admin tokens from this address; wait a minute.');
    }
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (presented && tokenMatches(presented, services.adminToken)) return;
    if (!entry || time - entry.since >= FAILURE_WINDOW_MS) failures.set(request.ip, { count: 1, since: time });
    else entry.count++;
    throw new ApiError(
      'UNAUTHORIZED',
      401,
      presented ? 'The admin token is wrong.' : 'This call needs the admin token (the file admin.token in the License Manager data path).',
    );
  };

  app.post<{ Body: LoadRequest }>(
    '/v1/admin/load',
    {
      onRequest: authorize,
      schema: {
        body: {
          type: 'object',
          required: ['key'],
          additionalProperties: false,
          properties: { key: { type: 'string', maxLength: 65536 }, force: { type: 'boolean' } },
        },
      },
    },
    async (request) => {
      const result = await services.license.load(request.body.key, request.body.force ?? false);
      if (!result.ok) {
        // 409: the key is fine but this LM is not set up for it; 422: the key is not valid here.
        const status =
          result.code === 'NOT_ONLINE'
            ? 409
            : statusFor(result.code) === 403 || result.code === 'LMID_MISMATCH'
              ? 422
              : statusFor(result.code);
        throw new ApiError(result.code, status, result.detail);
      }
      return infoView(services);
    },
  );

  app.post('/v1/admin/sync', { onRequest: authorize }, async () => {
    const outcome = await services.license.sync();
    if (!outcome.ok) {
      const status =
        outcome.code === 'NOT_ONLINE' ? 409 : outcome.code === 'CENTER_UNREACHABLE' ? 502 : outcome.code === 'RATE_LIMITED' ? 429 : 422;
      throw new ApiError(outcome.code, status, outcome.detail);
    }
    return { changed: outcome.changed, info: await infoView(services) };
  });

  app.post<{ Body: RequestCodeRequest }>(
    '/v1/admin/request-code',
    {
      onRequest: authorize,
      schema: {
        body: {
          type: 'object',
          required: ['name', 'email', 'nodes'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 200 },
            email: { type: 'string', maxLength: 254 },
            phone: { type: 'string', maxLength: 40 },
            nodes: counts,
            limits: counts,
            features: { type: 'array', maxItems: 64, items: { type: 'string', pattern: NAME } },
            months: { type: 'integer', minimum: 1, maximum: 120 },
            product: { type: 'string', pattern: NAME },
          },
        },
      },
    },
    async (request) => {
      const body = request.body;
      const result = createRequestCode(
        {
          contact: { name: body.name, email: body.email, phone: body.phone ?? '' },
          host: { hostname: hostname(), os: `${platform()} ${arch()}`, lmVersion: LM_VERSION },
          product: body.product ?? null,
          nodes: body.nodes,
          limits: body.limits ?? {},
          features: body.features ?? [],
          months: body.months ?? 12,
          createdAt: new Date(now()).toISOString(),
          // The vendor answers a clock reset for exactly this mark (core clock-reset.ts).
          highWater: services.license.highWaterTime === null ? null : new Date(services.license.highWaterTime).toISOString(),
        },
        { privateKey: services.identity.privateKey, hostDigest: services.identity.hostDigest },
      );
      if (!result.ok) throw new ApiError('BAD_REQUEST', 400, result.detail);
      return { requestCode: result.value, lmid: services.identity.lmid };
    },
  );
}
