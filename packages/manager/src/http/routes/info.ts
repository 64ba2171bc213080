/** Read-only routes: health, version, info, usage and metrics. */
import type { HealthResponse, InfoResponse, UsageResponse, VersionResponse } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import { infoView, usageView } from '../../services/index.js';
import type { LmServices } from '../../services/index.js';
import { renderMetrics } from '../metrics.js';
import { LM_VERSION } from '../../version.js';

export function infoRoutes(app: FastifyInstance, services: LmServices, now: () => number): void {
  app.get('/health', async (): Promise<HealthResponse> => ({ status: 'ok', licenseStatus: services.license.verdict().status }));
  app.get('/version', async (): Promise<VersionResponse> => ({ version: LM_VERSION }));
  app.get('/v1/info', async (): Promise<InfoResponse> => infoView(services));
  app.get('/v1/usage', async (): Promise<UsageResponse> => usageView(services));

  app.get('/metrics', async (_request, reply) => {
    const verdict = services.license.verdict();
    const roles = Object.fromEntries(
      Object.entries(await services.seats.usage()).map(([role, u]) => [role, { total: u.total, used: u.used }]),
    );
    const stored = services.license.storedLicense;
    const license = services.license.current;
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return renderMetrics({
      status: verdict.status,
      // Shown whenever the verdict counts days left, but to the second of the expiry rather than in whole days.
      licenseRemainingSeconds: verdict.daysLeft === null || !license ? null : Math.floor((Date.parse(license.expiresAt) - now()) / 1000),
      roles,
      refusals: services.counters.refusals.snapshot(),
      syncFailures: services.counters.syncFailures,
      syncSuccesses: services.counters.syncSuccesses,
      lastSyncAt: stored?.lastSyncAt ?? null,
      leasesActive: services.seats.activeCount,
      up: services.startedAt,
    });
  });
}
