/** The License Center's Fastify app: routes → services → db. Built once per process. */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installErrorHandling } from '@tessera/http';
import { installAuth } from './auth.js';
import { authRoutes } from './routes/auth.js';
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
  app.register(cookie);
  installAuth(app, services.accounts);
  healthRoutes(app, services);
  authRoutes(app, services);
  lmSyncRoutes(app, services);
  return app;
}
