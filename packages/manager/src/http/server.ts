/** The LM's Fastify app: routes → services. Built once per daemon. */
import { randomBytes } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifySchema } from 'fastify';
import { installErrorHandling } from '@tessera/http';
import type { Logger } from 'pino';
import type { LmServices } from '../services/index.js';
import { adminRoutes } from './routes/admin.js';
import { consoleRoutes } from './routes/console.js';
import { infoRoutes } from './routes/info.js';
import { licenseRoute } from './routes/license.js';
import { seatRoutes } from './routes/seats.js';
import { seatAccess } from './seat-access.js';

export interface ServerOptions {
  logger: Logger;
  timeoutMs: number;
  now: () => number;
  /** HTTPS with this certificate and key (PEM text); plain HTTP when null. */
  tls: { cert: string; key: string } | null;
}

/** A route as the server registered it: what docs/lm-openapi.yaml is checked against (test/openapi.test.ts). */
export interface RouteRecord {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
}

export function buildServer(services: LmServices, options: ServerOptions): { app: FastifyInstance; routeTable: RouteRecord[] } {
  // Request ids: a random prefix per process and a counter; unique enough to find a log line, and no
  // randomBytes call per request on the seat path.
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    // pino's Logger is a FastifyBaseLogger; the cast keeps the app's type the default one routes are written for.
    loggerInstance: options.logger as FastifyBaseLogger,
    // A log line per seat request would be most of the work on the heartbeat path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `req_${prefix}${(++counter).toString(36)}`,
    // No child logger per request (it costs more than a heartbeat's own work); errors log the request id themselves.
    childLoggerFactory: (logger) => logger,
    requestIdHeader: false,
    bodyLimit: 128 * 1024,
    connectionTimeout: options.timeoutMs,
    requestTimeout: options.timeoutMs,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  const routeTable: RouteRecord[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routeTable.push({ method, url: route.url, schema: route.schema });
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  installErrorHandling(app);
  const access = seatAccess(services, options.now);
  infoRoutes(app, services, options.now);
  licenseRoute(app, services, access, options.now);
  seatRoutes(app, services, access);
  adminRoutes(app, services, options.now);
  consoleRoutes(app, services);
  return { app, routeTable };
}
