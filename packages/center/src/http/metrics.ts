/**
 * The License Center's Prometheus metrics: requests by route and status with their latency, LM syncs by outcome,
 * background job runs and how long ago each job last finished, licenses by status, the mail outbox's depth and
 * oldest mail, and the database pool's use. Counters are kept in this process (each instance is scraped on its
 * own); gauges are read when scraped. GET /metrics is in routes/service/metrics.ts.
 */
import { MetricsRegistry } from '@tessera/http';
import type { Counter, Histogram } from '@tessera/http';
import type { Clock } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import type { PoolUse } from '../db/connect.js';
import type { Gauges } from '../services/monitoring/gauges.js';

export interface CenterMetrics {
  registry: MetricsRegistry;
  requests: Counter;
  latency: Histogram;
  syncs: Counter;
  jobRuns: Counter;
}

export function centerMetrics(sources: { gauges: Gauges; poolUse: () => PoolUse; clock: Clock }): CenterMetrics {
  const registry = new MetricsRegistry();
  const metrics: CenterMetrics = {
    registry,
    requests: registry.counter('tessera_lc_http_requests_total', 'HTTP requests answered, by method, route and status.'),
    latency: registry.histogram('tessera_lc_http_request_duration_seconds', 'Time to answer an HTTP request, by method and route.'),
    syncs: registry.counter(
      'tessera_lc_lm_syncs_total',
      'License Manager syncs answered, by outcome: changed, unchanged, or the code of the refusal.',
    ),
    jobRuns: registry.counter('tessera_lc_job_runs_total', 'Background job runs in this instance, by job and outcome (ok, failed).'),
  };
  registry.collect(async () => {
    const now = sources.clock.now();
    const { licensesByStatus, outbox, jobs } = await sources.gauges.read();
    const pool = sources.poolUse();
    return [
      {
        name: 'tessera_lc_licenses',
        type: 'gauge',
        help: 'Licenses, by status.',
        samples: Object.entries(licensesByStatus).map(([status, count]) => [{ status }, count]),
      },
      { name: 'tessera_lc_mail_outbox_pending', type: 'gauge', help: 'Mails queued and not yet sent.', samples: [[{}, outbox.pending]] },
      {
        name: 'tessera_lc_mail_outbox_oldest_age_seconds',
        type: 'gauge',
        help: 'How long the oldest mail not yet sent has waited; 0 when none waits.',
        samples: [[{}, outbox.oldestCreatedAt === null ? 0 : Math.max(0, (now - outbox.oldestCreatedAt) / 1000)]],
      },
      {
        name: 'tessera_lc_job_last_run_age_seconds',
        type: 'gauge',
        help: 'How long ago each background job last finished, in any instance (its lag).',
        samples: jobs.filter((job) => job.lastRunAt !== null).map((job) => [{ job: job.name }, Math.max(0, (now - job.lastRunAt!) / 1000)]),
      },
      { name: 'tessera_lc_db_pool_max', type: 'gauge', help: 'Database connections this instance may open.', samples: [[{}, pool.max]] },
      {
        name: 'tessera_lc_db_pool_connections',
        type: 'gauge',
        help: 'Database connections of this instance, open and idle among them.',
        samples: [
          [{ state: 'open' }, pool.open],
          [{ state: 'idle' }, pool.idle],
        ],
      },
      {
        name: 'tessera_lc_db_pool_waiting',
        type: 'gauge',
        help: 'Callers waiting for a database connection.',
        samples: [[{}, pool.waiting]],
      },
    ];
  });
  return metrics;
}

/** Counts every answer by its route (the pattern, never the URL: bounded), and its latency. */
export function measureRequests(app: FastifyInstance, metrics: CenterMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
