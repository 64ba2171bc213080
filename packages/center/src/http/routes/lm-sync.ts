/** POST /v1/lm/sync: the LC side of docs/sync-protocol.md. No session: the online key and the LM's signature are the credentials. */
import { SYNC_PATH } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import type { CenterServices } from '../../app.js';

export function lmSyncRoutes(app: FastifyInstance, services: CenterServices): void {
  app.post(SYNC_PATH, async (request, reply) => {
    const answer = await services.sync.handle(request.body);
    reply.status(answer.status).header('cache-control', 'no-store');
    const body = answer.body as { error?: Record<string, unknown> };
    return body.error ? { error: { ...body.error, requestId: request.id } } : body;
  });
}
