/**
 * `tessera-lm serve`: builds the services once, serves HTTP, and runs the timers: the lease sweep (killed nodes
 * lose their seats), the status watcher (mails on Expiring, Grace, Expired, Invalid), and the sync loop for
 * online keys (every syncIntervalMinutes with jitter, so a fleet of LMs does not hit LC at the same second).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrustBundle } from '@tessera/core';
import type { Code } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import type { LmConfig } from './config.js';
import { createLogger } from './log.js';
import { ensureDataPath, hostFingerprint, loadAdminToken, loadIdentity } from './identity.js';
import { Seats } from './leases/seats.js';
import { Notifier } from './notify/mailer.js';
import type { NotificationKind } from './notify/mailer.js';
import { buildServer } from './http/server.js';
import { RefusalCounter } from './http/metrics.js';
import type { LmServices } from './services/index.js';
import { LicenseService } from './services/license.js';
import { openStateDb } from './state/db.js';
import { StateStore } from './state/store.js';
import { CenterClient } from './sync/client.js';

export interface DaemonOptions {
  config: LmConfig;
  clock?: Clock;
  /** Overrides the host fingerprint (tests: "the same data path on another host"). */
  fingerprint?: string;
  logger?: Logger;
  /** Lets tests use a plaintext SMTP receiver. */
  mailAllowPlaintext?: boolean;
  /** Timer periods, shortened by tests. */
  timers?: { sweepMs?: number; watchMs?: number; renewalFlushMs?: number };
}

export interface Daemon {
  readonly url: string;
  readonly port: number;
  readonly lmid: string;
  readonly services: LmServices;
  readonly app: FastifyInstance;
  readonly notifier: Notifier;
  close(): Promise<void>;
}

/** A start-up problem a person must fix (config, trust bundle, data path); the CLI prints it without a trace. */
export class StartupError extends Error {}

const EVENT_KEEP_MS = 90 * 86_400_000;

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const trustText = readTrustFile(config.trustPath);
  const trust = parseTrustBundle(trustText);
  if (!trust.ok) throw new StartupError(`The trust bundle ${config.trustPath} cannot be used: ${trust.detail}`);
  try {
    ensureDataPath(config.dataPath);
  } catch (error) {
    throw new StartupError(`The data path ${config.dataPath} cannot be created: ${(error as Error).message}`);
  }
  let ownLogger: ReturnType<typeof createLogger> | null = null;
  try {
    ownLogger = options.logger ? null : createLogger(config.log);
  } catch (error) {
    throw new StartupError(`The log folder ${config.log.path} cannot be used: ${(error as Error).message}`);
  }
  const logger = options.logger ?? ownLogger!.logger;

  const store = new StateStore(openStateDb(join(config.dataPath, 'state.db')));
  const identity = loadIdentity(config.dataPath, options.fingerprint ?? hostFingerprint(config.fingerprint, config.dataPath));
  const adminToken = loadAdminToken(config.dataPath);
  const notifier = new Notifier({
    mail: config.notify.mail,
    store,
    clock,
    lmName: config.name,
    lmid: identity.lmid,
    logger,
    ...(options.mailAllowPlaintext ? { allowPlaintext: true } : {}),
  });
  const counters = { refusals: new RefusalCounter(), syncFailures: 0, syncSuccesses: 0 };
  const onEvent = (kind: string, code: Code | null, detail: string) => {
    store.addEvent(clock.now(), kind, code, detail);
    if (kind === 'sync.failed') counters.syncFailures++;
    if (kind === 'sync.changed' || kind === 'sync.unchanged') counters.syncSuccesses++;
    logger[kind === 'sync.failed' ? 'warn' : 'info']({ event: kind, code }, detail);
  };

  let seats: Seats | null = null;
  const license = new LicenseService({
    store,
    trust: trust.value,
    identity,
    clock,
    center: config.center.url ? new CenterClient({ url: config.center.url, timeoutMs: config.timeoutMs, trust: trust.value }) : null,
    clockToleranceMs: config.clockToleranceMinutes * 60_000,
    usage: () => seats?.usedCounts() ?? {},
    onEvent,
  });
  seats = new Seats({
    store,
    license,
    identity,
    clock,
    ttlMs: config.leaseTtlSeconds * 1000,
    onRefusal: (code, { role }) => {
      counters.refusals.count(code);
      if (code === 'TOO_MANY_NODES' && role) {
        const total = license.current?.nodes[role] ?? 0;
        void notifier.notify({
          kind: 'LimitReached',
          scope: role,
          subject: `All ${total} "${role}" seats are in use`,
          text: `A "${role}" node was refused a seat because all ${total} are in use. Stop a node or add nodes to the license.`,
        });
      }
    },
  });

  const services: LmServices = {
    name: config.name,
    identity,
    license,
    seats,
    ttlMs: config.leaseTtlSeconds * 1000,
    adminToken,
    counters,
    startedAt: clock.now(),
    requestCodeEnabled: true,
  };
  const app = buildServer(services, { logger, timeoutMs: config.timeoutMs, now: () => clock.now() });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    store.close();
    throw new StartupError(`Cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  const timers: NodeJS.Timeout[] = [];
  const sweepMs = options.timers?.sweepMs ?? Math.max(1000, Math.min(15_000, (config.leaseTtlSeconds * 1000) / 4));
  timers.push(setInterval(() => seats.sweep(), sweepMs).unref());
  timers.push(setInterval(() => seats.flushRenewals(), options.timers?.renewalFlushMs ?? 1000).unref());
  const watch = () => watchStatus(license, notifier);
  timers.push(setInterval(watch, options.timers?.watchMs ?? 60_000).unref());
  timers.push(setInterval(() => store.pruneEvents(clock.now() - EVENT_KEEP_MS), 86_400_000).unref());
  watch();

  let syncTimer: NodeJS.Timeout | null = null;
  const scheduleSync = () => {
    const base = config.syncIntervalMinutes * 60_000;
    const jitter = base * 0.1 * (Math.random() * 2 - 1);
    syncTimer = setTimeout(async () => {
      if (license.storedLicense?.source === 'online') await license.sync();
      scheduleSync();
    }, base + jitter).unref();
  };
  if (license.storedLicense?.source === 'online') void license.sync();
  scheduleSync();

  logger.info({ lmid: identity.lmid, port }, `tessera-lm ${config.name} serving on ${config.host}:${port}, LMID ${identity.lmid}`);
  return {
    url: `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`,
    port,
    lmid: identity.lmid,
    services,
    app,
    notifier,
    async close() {
      for (const timer of timers) clearInterval(timer);
      if (syncTimer) clearTimeout(syncTimer);
      await app.close();
      seats.flush();
      notifier.close();
      store.close();
      ownLogger?.close();
    },
  };
}

function readTrustFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new StartupError(
      `The trust bundle ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}). Put the vendor's trust bundle there, or point "trust" in the config at it.`,
    );
  }
}

const MAILED: Partial<Record<string, NotificationKind>> = { Expiring: 'Expiring', Grace: 'Grace', Expired: 'Expired', Invalid: 'Invalid' };

/** Mails on the statuses that need a person; the notifier keeps it to one mail per kind per day. */
function watchStatus(license: LicenseService, notifier: Notifier): void {
  const verdict = license.verdict();
  const kind = MAILED[verdict.status];
  if (!kind) return;
  const subjects: Record<NotificationKind, string> = {
    Expiring: `License expiring in ${verdict.daysLeft} days`,
    Grace: 'License expired: in grace period',
    Expired: 'License expired: seats are refused',
    Invalid: `License invalid (${verdict.code})`,
    LimitReached: 'Seat limit reached',
  };
  void notifier.notify({ kind, subject: subjects[kind], text: verdict.detail });
}
