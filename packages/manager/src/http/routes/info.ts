/** Read-only routes: health, version, info, usage, metrics and the console page. */
import type { FastifyInstance } from 'fastify';
import { infoView, usageView } from '../../services/index.js';
import type { LmServices } from '../../services/index.js';
import { renderMetrics } from '../metrics.js';
import { renderConsolePage } from '../console-page.js';
import { LM_VERSION } from '../../version.js';

export function infoRoutes(app: FastifyInstance, services: LmServices): void {
  app.get('/health', async () => ({ status: 'ok', licenseStatus: services.license.verdict().status }));
  app.get('/version', async () => ({ version: LM_VERSION }));
  app.get('/v1/info', async () => infoView(services));
  app.get('/v1/usage', async () => usageView(services));

  app.get('/metrics', async (_request, reply) => {
    const verdict = services.license.verdict();
    const roles = Object.fromEntries(
      Object.entries(await services.seats.usage()).map(([role, u]) => [role, { total: u.total, used: u.used }]),
    );
    const stored = services.license.storedLicense;
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return renderMetrics({
      status: verdict.status,
      daysLeft: verdict.daysLeft,
      roles,
      refusals: services.counters.refusals.snapshot(),
      syncFailures: services.counters.syncFailures,
      syncSuccesses: services.counters.syncSuccesses,
      lastSyncAt: stored?.lastSyncAt ?? null,
      leasesActive: services.seats.activeCount,
      up: services.startedAt,
    });
  });

  app.get('/', async (_request, reply) => {
    reply.type('text/html; charset=utf-8');
    // The page takes the admin token: no other site may frame it and trick a click (clickjacking).
    reply.header(
      'content-security-policy',
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    reply.header('x-frame-options', 'DENY');
    return renderConsolePage(await infoView(services), await usageView(services), {
      requestCodeEnabled: services.requestCodeEnabled,
      ...(services.vendor ? { vendor: services.vendor } : {}),
    });
  });
}
