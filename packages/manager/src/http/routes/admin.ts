/**
 * Admin routes (load a key, sync, make a request code): they need the admin token the daemon writes into
 * dataPath. Failed token attempts are throttled per address.
 */
import { createRequestCode, NAME_PATTERN } from '@tessera/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hostname, platform, arch } from 'node:os';
import { infoView } from '../../services/index.js';
import type { LmServices } from '../../services/index.js';
import { tokenMatches } from '../../identity.js';
import { ApiError, refuse } from '@tessera/http';
import type { InfoResponse, LoadRequest, RequestCodeRequest, RequestCodeResponse, SyncResponse } from '@tessera/core';
import { LM_VERSION } from '../../version.js';

const FAILURES_ALLOWED = 10;
const FAILURE_WINDOW_MS = 60_000;
const counts = {
  type: 'object',
  maxProperties: 64,
  propertyNames: { pattern: NAME_PATTERN },
  additionalProperties: { type: 'integer', minimum: 0, maximum: 1000000 },
};

export function adminRoutes(app: FastifyInstance, services: LmServices, now: () => number): void {
  const failures = new Map<string, { count: number; since: number }>();

  const authorize = async (request: FastifyRequest) => {
    const entry = failures.get(request.ip);
    const time = now();
    if (entry && time - entry.since < FAILURE_WINDOW_MS && entry.count >= FAILURES_ALLOWED) {
      throw refuse('RATE_LIMITED', 'Too many wrong admin tokens from this address; wait a minute.');
    }
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (presented && tokenMatches(presented, services.adminToken)) return;
    if (!entry || time - entry.since >= FAILURE_WINDOW_MS) failures.set(request.ip, { count: 1, since: time });
    else entry.count++;
    throw refuse(
      'UNAUTHORIZED',
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
    async (request): Promise<InfoResponse> => {
      const result = await services.license.load(request.body.key, request.body.force ?? false);
      if (!result.ok) throw ApiError.of(result);
      return infoView(services);
    },
  );

  app.post('/v1/admin/sync', { onRequest: authorize }, async (): Promise<SyncResponse> => {
    const outcome = await services.license.sync();
    if (!outcome.ok) throw ApiError.of(outcome);
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
            features: { type: 'array', maxItems: 64, items: { type: 'string', pattern: NAME_PATTERN } },
            months: { type: 'integer', minimum: 1, maximum: 120 },
            product: { type: 'string', pattern: NAME_PATTERN },
          },
        },
      },
    },
    async (request): Promise<RequestCodeResponse> => {
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
      if (!result.ok) throw refuse('BAD_REQUEST', result.detail);
      return { requestCode: result.value, lmid: services.identity.lmid };
    },
  );
}
