/** The console page at / and the scripts it loads from /console/ (the page's policy takes scripts from here only). */
import type { FastifyInstance } from 'fastify';
import { infoView, usageView } from '../../services/index.js';
import type { LmServices } from '../../services/index.js';
import { CONSOLE_SCRIPTS, readConsoleScripts } from '../console/assets.js';
import { CONSOLE_CSP, renderConsolePage } from '../console/page.js';

export function consoleRoutes(app: FastifyInstance, services: LmServices): void {
  const scripts = readConsoleScripts();

  app.get('/', async (_request, reply) => {
    reply.type('text/html; charset=utf-8');
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-frame-options', 'DENY');
    return renderConsolePage(await infoView(services), await usageView(services), {
      requestCodeEnabled: services.requestCodeEnabled,
      ...(services.vendor ? { vendor: services.vendor } : {}),
    });
  });

  for (const name of CONSOLE_SCRIPTS) {
    app.get(`/console/${name}`, async (_request, reply) => {
      reply.type('text/javascript; charset=utf-8');
      reply.header('x-content-type-options', 'nosniff');
      // A new release serves new scripts at the same address: the browser asks again each time.
      reply.header('cache-control', 'no-cache');
      return scripts[name];
    });
  }
}
