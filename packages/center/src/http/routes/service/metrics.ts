/**
 * GET /metrics: the Prometheus text exposition, for clients whose address is allowed (TESSERA_METRICS_ALLOW,
 * loopback by default) or that send the metrics token (TESSERA_METRICS_TOKEN). Anyone else gets the 404 of a
 * route that does not exist.
 */
import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { METRICS_CONTENT_TYPE, refuse } from '@tessera/http';
import type { CenterMetrics } from '../../metrics.js';

/** The services these routes use. */
export type MetricsRoutes = { metrics: CenterMetrics; config: { metrics: { allow: string[]; token: string | null } } };

export function metricsRoutes(app: FastifyInstance, services: MetricsRoutes): void {
  const { metrics, config } = services;
  const allowed = allowList(config.metrics.allow);
  const token = config.metrics.token === null ? null : Buffer.from(config.metrics.token, 'utf8');
  const permitted = (request: FastifyRequest) => {
    const bearer = request.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (token !== null && bearer !== undefined) {
      const given = Buffer.from(bearer, 'utf8');
      if (given.length === token.length && timingSafeEqual(given, token)) return true;
    }
    const family = isIP(request.ip);
    return family !== 0 && allowed.check(request.ip, family === 6 ? 'ipv6' : 'ipv4');
  };

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['service'],
        summary: 'Prometheus metrics (text exposition 0.0.4): requests, LM syncs, jobs, licenses, mail outbox, database pool.',
        description:
          'Only for addresses in TESSERA_METRICS_ALLOW (loopback by default) or with Authorization: Bearer TESSERA_METRICS_TOKEN; anyone else gets 404.',
        response: { 200: { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (request, reply) => {
      if (!permitted(request)) throw refuse('NOT_FOUND', `There is no GET /metrics here.`);
      reply.header('content-type', METRICS_CONTENT_TYPE).header('cache-control', 'no-store');
      return metrics.registry.render();
    },
  );
}

function allowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}
