/** The License Center's Fastify app: routes → services → db. Built once per process. */
import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import type { Logger } from 'pino';
import { SYNC_PATH } from '@tessera/core';
import { installErrorHandling } from '@tessera/http';
import { installAuth } from './auth.js';
import { measureRequests } from './metrics.js';
import { metricsRoutes } from './routes/service/metrics.js';
import { installOpenApi, openApiRoutes } from './openapi.js';
import { loadPortal, portalRoutes } from './portal.js';
import { authRoutes } from './routes/accounts/auth.js';
import { healthRoutes } from './routes/service/health.js';
import { licenseRoutes } from './routes/licenses/customer-licenses.js';
import { lmSyncRoutes } from './routes/sync/lm-sync.js';
import { marketplaceRoutes } from './routes/marketplace/aws.js';
import { downloadRoutes } from './routes/packages/downloads.js';
import { customerPackageRoutes } from './routes/packages/customer-packages.js';
import { lmPackageRoutes } from './routes/packages/lm-packages.js';
import { staffPackageRoutes } from './routes/packages/staff-packages.js';
import { staffAdminRoutes } from './routes/trust/staff-admin.js';
import { brandRoutes } from './routes/brand/brand.js';
import { firstStepsRoutes } from './routes/onboarding/first-steps.js';
import { staffNameRoutes } from './routes/catalogue/staff-names.js';
import { staffContractRoutes } from './routes/contracts/staff-contracts.js';
import { staffCustomerRoutes } from './routes/catalogue/staff-customers.js';
import { staffProductRoutes } from './routes/catalogue/staff-products.js';
import { staffLicenseRoutes } from './routes/licenses/staff-licenses.js';
import { staffClockResetRoutes } from './routes/trust/staff-clock-resets.js';
import { staffUserRoutes } from './routes/accounts/staff-users.js';
import type { CenterServices } from '../compose.js';

export const API_VERSION = '0.1.0';

export interface ServerOptions {
  /** How answers with a schema are serialised; tests pass one that checks each answer against its schema first. */
  serializerCompiler?: FastifySerializerCompiler<unknown>;
}

export async function buildServer(services: CenterServices, logger: Logger, options: ServerOptions = {}): Promise<FastifyInstance> {
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  const syncLog = logger.child({ route: SYNC_PATH }, { level: 'warn' }) as FastifyBaseLogger;
  const app = Fastify({
    // A download link's signature is a credential for its minutes: request log lines show the URL without it.
    loggerInstance: logger.child({}, { serializers: { req: requestForLog } }) as FastifyBaseLogger,
    genReqId: () => `req_${prefix}${(++counter).toString(36)}`,
    // LM syncs log without a child logger of their own (they are not logged one by one, and making one per request
    // cost more than the sync's own work); their errors name the request id themselves. Every other request's
    // log lines carry its id.
    childLoggerFactory: (logger, bindings, options, rawRequest) =>
      rawRequest.url?.startsWith(SYNC_PATH) ? syncLog : logger.child(bindings, options),
    requestIdHeader: false,
    bodyLimit: 256 * 1024,
    // Fastify takes a hop count too (see its trustProxy docs), though its types leave numbers out.
    trustProxy: services.config.trustProxy as boolean | string[],
    // A body member the schema does not name is an error (additionalProperties: false), not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  // Answers are JSON.stringify'd whatever their schema says: response schemas describe them (and the tests check
  // each answer against its schema), they never reshape one.
  app.setSerializerCompiler(options.serializerCompiler ?? (() => (data) => JSON.stringify(data)));
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  installErrorHandling(app);
  measureRequests(app, services.metrics);
  await installOpenApi(app, { version: API_VERSION, publicUrl: services.config.publicUrl });
  app.register(cookie);
  installAuth(app, services.accounts);
  healthRoutes(app, services);
  metricsRoutes(app, services);
  authRoutes(app, services);
  lmSyncRoutes(app, services);
  licenseRoutes(app, services);
  staffLicenseRoutes(app, services);
  staffClockResetRoutes(app, services);
  staffProductRoutes(app, services);
  staffCustomerRoutes(app, services);
  staffContractRoutes(app, services);
  staffUserRoutes(app, services);
  staffAdminRoutes(app, services);
  brandRoutes(app, services);
  firstStepsRoutes(app, services);
  staffNameRoutes(app, services);
  marketplaceRoutes(app, services);
  staffPackageRoutes(app, services);
  customerPackageRoutes(app, services);
  lmPackageRoutes(app, services);
  downloadRoutes(app, services);
  openApiRoutes(app);
  // The web UI, at the same origin as the API: any other GET that is not an API path is the app's.
  portalRoutes(app, loadPortal(services.config.portalDir), app.log);
  return app;
}

/** Fastify's request serializer, with the sig of a download link's query left out. */
function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.replace(/([?&]sig=)[^&]*/g, '$1[redacted]'),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
