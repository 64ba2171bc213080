/** The License Center's Fastify app: routes → services → db. Built once per process. */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installErrorHandling } from '@tessera/http';
import { healthRoutes } from './routes/health.js';
import { lmSyncRoutes } from './routes/lm-sync.js';
import type { CenterServices } from '../app.js';

export function buildServer(services: CenterServices, logger: Logger): FastifyInstance {
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: () => `req_${prefix}${(++counter).toString(36)}`,
    requestIdHeader: false,
    bodyLimit: 256 * 1024,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  installErrorHandling(app);
  healthRoutes(app, services);
  lmSyncRoutes(app, services);
  return app;
}
