/**
 * Builds the License Center once: database (migrated), services, HTTP server, background jobs. Used by
 * `tessera-center serve`, the tests and the benchmarks.
 */
import pino from 'pino';
import type { Logger } from 'pino';
import { PrettyLog } from './log-format.js';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '@tessera/core';
import type { CenterConfig } from './config.js';
import { buildServices } from './compose.js';
import type { CenterServices } from './compose.js';
import { openDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrations.js';
import { backgroundJobs } from './jobs/background.js';
import { JobScheduler } from './jobs/scheduler.js';
import type { JobTimers } from './jobs/scheduler.js';
import type { PasswordHasher } from './services/accounts/passwords.js';
import { buildServer } from './http/server.js';
import type { ServerOptions } from './http/server.js';

export type { CenterServices } from './compose.js';

export interface Center {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly services: CenterServices;
  /** The background jobs: started when the center listens; tests run a round with jobs.runOnce(). */
  readonly jobs: JobScheduler;
  close(): Promise<void>;
}

/** Secrets never reach the log: these fields are redacted wherever they appear. */
const REDACT = [
  'password',
  'token',
  'key',
  'onlineKey',
  'authorization',
  'cookie',
  'request',
  'license',
  'csrfToken',
  'apiToken',
  'loginLink',
]
  .flatMap((k) => [k, `*.${k}`, `req.headers.${k}`])
  .concat('req.headers["x-csrf-token"]');

export async function startCenter(
  config: CenterConfig,
  options: {
    clock?: Clock;
    logger?: Logger;
    listen?: boolean;
    jobs?: { periodMs?: number; timers?: JobTimers };
    /** The process's password hasher; tests pass one that counts or holds its calls. */
    passwords?: PasswordHasher;
    server?: ServerOptions;
  } = {},
): Promise<Center> {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
  const logger =
    options.logger ??
    pino({ level: 'info', redact: { paths: REDACT, censor: '[redacted]' } }, pretty ? new PrettyLog(process.stdout) : undefined);
  const handle = openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    timeouts: config.database,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection closed by the server; reconnecting'),
    onTimeout: ({ message, ...timeout }) => logger.warn({ dbTimeout: timeout }, message),
  });
  await migrateToLatest(handle.db as never, handle.dialect, { masterKey: config.masterKey });
  const services = buildServices(config, handle, {
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.passwords ? { passwords: options.passwords } : {}),
  });
  const { clock, mail } = services;
  await services.keys.ensureActive();
  await services.roots.ensureActive();
  // Uploads cut off by a stopped instance leave temporary files; a day old, they are nobody's.
  await services.packageFiles
    .sweepIncoming(clock.now(), 86_400_000)
    .then((count) => count > 0 && logger.info({ count }, 'unfinished package uploads removed'))
    .catch((error: unknown) => logger.warn({ err: error, dir: config.packages.dir }, 'cannot look through the packages folder'));
  const app = await buildServer(services, logger, options.server ?? {});
  const scheduler = new JobScheduler({
    jobs: backgroundJobs({
      claims: services.jobClaims,
      mail,
      clock,
      logger,
      hourly: [
        { name: 'contract-renewals', job: services.contractRenewals, done: 'contracts auto-renewed' },
        { name: 'expiry-notices', job: services.expiryNotices, done: 'expiry notices queued' },
      ],
    }),
    periodMs: options.jobs?.periodMs ?? config.jobs.periodMs,
    onRun: (job, outcome) => services.metrics.jobRuns.inc({ job, outcome }),
    logger,
    ...(options.jobs?.timers ? { timers: options.jobs.timers } : {}),
  });
  if (options.listen !== false) {
    await app.listen({ host: config.host, port: config.port });
    scheduler.start();
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    app,
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    services,
    jobs: scheduler,
    async close() {
      await scheduler.stop();
      await app.close();
      services.mail.close();
      await handle.close();
    },
  };
}
