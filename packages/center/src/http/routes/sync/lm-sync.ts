/** POST /v1/lm/sync: the LC side of docs/sync-protocol.md. No session: the online key and the LM's signature are the credentials. */
import { SYNC_PATH } from '@tessera/core';
import { ApiError } from '@tessera/http';
import type { Counter } from '@tessera/http';
import type { FastifyInstance } from 'fastify';
import { enforce } from '../../rate-limit.js';
import { ref } from '../../schemas.js';
import type { SyncService } from '../../../services/sync/sync.js';
import type { WindowLimiter } from '../../rate-limit.js';

const SCHEMA = {
  tags: ['License Manager'],
  response: { 200: ref('SyncAnswer') },
  summary: 'A License Manager pulls its license: the changed license, or a time token alone (docs/sync-protocol.md).',
  description:
    'Limited per client address and per online key (429 RATE_LIMITED with Retry-After). Errors keep the common shape; the codes are in the protocol document.',
  body: {
    type: 'object',
    required: ['request'],
    properties: { request: { type: 'string', description: 'A tessera-sync:… document signed by the License Manager.' } },
  },
} as const;

/** The services these routes use. */
export type SyncRoutes = { sync: SyncService; limiters: { syncPerAddress: WindowLimiter }; metrics: { syncs: Counter } };

export function lmSyncRoutes(app: FastifyInstance, services: SyncRoutes): void {
  const { sync, limiters, metrics } = services;
  // Thousands of LMs sync every few minutes: their requests are not logged one by one (the request id is still
  // in every answer and in any warning or error logged for it); /metrics-style counters are in sync.stats().
  app.post(SYNC_PATH, { schema: SCHEMA, logLevel: 'warn' }, async (request, reply) => {
    enforce(limiters.syncPerAddress, request.ip, reply, 'syncs from this address');
    const outcome = await sync.handle(request.body);
    reply.header('cache-control', 'no-store');
    metrics.syncs.inc({ outcome: outcome.ok ? (outcome.value.changed ? 'changed' : 'unchanged') : outcome.code });
    if (outcome.ok) return outcome.value;
    if (outcome.retryAfter !== undefined) reply.header('retry-after', String(outcome.retryAfter));
    throw ApiError.of(outcome);
  });
}
