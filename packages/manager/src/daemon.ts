/**
 * `tessera-lm serve`: builds the services once, serves HTTP, and runs the timers: the lease sweep (killed nodes
 * lose their seats), the status watcher (mails on Expiring, Grace, Expired, Invalid), and the sync loop for
 * online keys (every syncIntervalMinutes with jitter, so a fleet of LMs does not hit LC at the same second). A
 * replica of a License Manager sharing a database (config `database`) runs its replica tick instead of the sync
 * loop: the sync runs at whichever replica finds it due first (ha/replicas.ts).
 */
import { readFileSync } from 'node:fs';
import type { Clock, Code } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock } from './clock.js';
import { DEFAULT_CHECKOUTS_PER_MINUTE, lmTitle } from './config.js';
import type { LmConfig } from './config.js';
import { createLogger } from './log.js';
import { ensureDataPath } from './identity.js';
import { REPLICA_TICK_MS } from './ha/replicas.js';
import { openShared } from './ha/open.js';
import { Seats } from './leases/seats.js';
import { SharedSeats } from './leases/shared-seats.js';
import type { SeatService } from './leases/seat-rules.js';
import { Notifier } from './notify/mailer.js';
import type { NotificationKind } from './notify/mailer.js';
import { buildServer } from './http/server.js';
import type { RouteRecord } from './http/server.js';
import { RefusalCounter } from './http/metrics.js';
import { StartupError, openSingle } from './open-state.js';
import type { OpenedState } from './open-state.js';
import type { LmServices } from './services/index.js';
import { LicenseService } from './services/license.js';
import { CenterClient } from './sync/client.js';

export { StartupError } from './open-state.js';

export interface DaemonOptions {
  config: LmConfig;
  clock?: Clock;
  /** Overrides the host fingerprint (tests: "the same data path on another host"). */
  fingerprint?: string;
  logger?: Logger;
  /** Lets tests use a plaintext SMTP receiver. */
  mailAllowPlaintext?: boolean;
  /** Timer periods, shortened by tests. */
  timers?: { sweepMs?: number; watchMs?: number; renewalFlushMs?: number; replicaTickMs?: number };
}

export interface Daemon {
  readonly url: string;
  readonly port: number;
  readonly lmid: string;
  readonly services: LmServices;
  readonly app: FastifyInstance;
  /** Every route with its schema, as registered. */
  readonly routeTable: RouteRecord[];
  readonly notifier: Notifier;
  close(): Promise<void>;
}

const EVENT_KEEP_MS = 90 * 86_400_000;
/** Events a person should look at. */
const WARNINGS = new Set(['sync.failed', 'clock.ahead', 'trust.refused', 'seal.repaired', 'database.error']);
/** A database that is down fails every request: one log line per this period says so. */
const DATABASE_ERROR_LOG_MS = 10_000;

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const trustText = readText(config.trustPath, 'trust file', `Put the vendor's trust file there, or point "trust" in the config at it.`);
  const tls = config.tls ? { cert: readText(config.tls.cert, 'TLS certificate'), key: readText(config.tls.key, 'TLS key') } : null;
  const seatConfig = config.seats ?? { secret: null, checkoutsPerMinute: DEFAULT_CHECKOUTS_PER_MINUTE };
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

  let store: OpenedState['store'] | null = null;
  const record = (kind: string, code: Code | null, detail: string) => {
    // Events are history; a database that is down must not fail the request that caused one.
    void Promise.resolve(store?.addEvent(clock.now(), kind, code, detail)).catch(() => {});
    logger[WARNINGS.has(kind) ? 'warn' : 'info']({ event: kind, code }, detail);
  };
  let lastDatabaseError = -Infinity;
  const onDatabaseError = (error: unknown) => {
    const now = Date.now();
    if (now - lastDatabaseError < DATABASE_ERROR_LOG_MS) return;
    lastDatabaseError = now;
    logger.warn({ event: 'database.error' }, `The shared database does not answer: ${(error as Error)?.message ?? String(error)}`);
  };
  let state: OpenedState;
  try {
    state = config.database
      ? await openShared(config, trustText, { clock, onEvent: record, onDatabaseError })
      : openSingle(config, options.fingerprint, trustText);
  } catch (error) {
    ownLogger?.close();
    throw error;
  }
  store = state.store;
  const { identity, trust, guards } = state;
  for (const warning of state.warnings) logger.warn({ event: 'trust.warning' }, warning);
  const notifier = new Notifier({
    mail: config.notify.mail,
    store: state.store,
    clock,
    lmName: config.name,
    lmid: identity.lmid,
    logger,
    ...(options.mailAllowPlaintext ? { allowPlaintext: true } : {}),
  });
  const counters = { refusals: new RefusalCounter(), syncFailures: 0, syncSuccesses: 0 };
  const onEvent = (kind: string, code: Code | null, detail: string) => {
    if (kind === 'sync.failed') counters.syncFailures++;
    if (kind === 'sync.changed' || kind === 'sync.unchanged') counters.syncSuccesses++;
    record(kind, code, detail);
  };

  let seats: SeatService | null = null;
  const license = new LicenseService({
    store: state.store,
    initial: state.initialLicense,
    trust,
    guards,
    identity,
    clock,
    center: config.center.url ? new CenterClient({ url: config.center.url, timeoutMs: config.timeoutMs, trust }) : null,
    clockToleranceMs: config.clockToleranceMinutes * 60_000,
    usage: () => seats?.usedCounts() ?? {},
    onEvent,
    syncLock: state.shared?.replicas.syncLock ?? null,
  });
  const onRefusal = (code: Code, { role }: { role?: string }) => {
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
  };
  const ttlMs = config.leaseTtlSeconds * 1000;
  const shared = state.shared;
  const sharedSeats = shared ? new SharedSeats({ store: shared.store, license, identity, clock, ttlMs, onRefusal, onDatabaseError }) : null;
  seats = sharedSeats ?? new Seats({ store: state.single!, license, identity, clock, ttlMs, onRefusal });
  if (shared) shared.replicas.attach(license, sharedSeats!);

  const services: LmServices = {
    name: config.name,
    identity,
    trust,
    license,
    seats,
    seatAccess: { secret: seatConfig.secret, checkoutsPerMinute: seatConfig.checkoutsPerMinute },
    ttlMs,
    adminToken: state.adminToken,
    counters,
    startedAt: clock.now(),
    requestCodeEnabled: true,
    vendor: config.vendor ?? { name: null, supportEmail: null },
    replicas: shared ? () => shared.replicas.views() : null,
  };
  const { app, routeTable } = buildServer(services, { logger, timeoutMs: config.timeoutMs, now: () => clock.now(), tls });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await state.close();
    ownLogger?.close();
    throw new StartupError(`Cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  const timers: NodeJS.Timeout[] = [];
  const sweepMs = options.timers?.sweepMs ?? Math.max(1000, Math.min(15_000, ttlMs / 4));
  const quietly = (work: () => unknown) => () => void Promise.resolve(work()).catch(onDatabaseError);
  timers.push(
    setInterval(
      quietly(() => seats.sweep()),
      sweepMs,
    ).unref(),
  );
  timers.push(
    setInterval(
      quietly(() => seats.flushRenewals()),
      options.timers?.renewalFlushMs ?? 1000,
    ).unref(),
  );
  const watch = () => watchStatus(license, notifier);
  timers.push(setInterval(watch, options.timers?.watchMs ?? 60_000).unref());
  timers.push(
    setInterval(
      quietly(() => state.store.pruneEvents(clock.now() - EVENT_KEEP_MS)),
      86_400_000,
    ).unref(),
  );
  watch();

  let syncTimer: NodeJS.Timeout | null = null;
  if (shared) {
    try {
      await shared.replicas.register(port, shared.licenseVersion);
    } catch (error) {
      for (const timer of timers) clearInterval(timer);
      await app.close();
      await state.close();
      ownLogger?.close();
      throw new StartupError(`The database ${shared.location} cannot be used: ${(error as Error).message}`);
    }
    timers.push(setInterval(() => void shared.replicas.tick(), options.timers?.replicaTickMs ?? REPLICA_TICK_MS).unref());
  } else {
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
  }

  const where = shared ? `, replica ${shared.replicas.id} of the License Manager in ${shared.location}` : '';
  logger.info({ lmid: identity.lmid, port }, `${lmTitle(config.name)} serving on ${config.host}:${port}, LMID ${identity.lmid}${where}`);
  return {
    url: `${tls ? 'https' : 'http'}://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`,
    port,
    lmid: identity.lmid,
    services,
    app,
    routeTable,
    notifier,
    async close() {
      for (const timer of timers) clearInterval(timer);
      if (syncTimer) clearTimeout(syncTimer);
      await app.close();
      await Promise.resolve(seats.flush()).catch(onDatabaseError);
      await guards.persisted();
      notifier.close();
      await state.close();
      ownLogger?.close();
    },
  };
}

function readText(path: string, what: string, hint = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new StartupError(`The ${what} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}). ${hint}`.trimEnd());
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
