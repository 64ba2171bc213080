/**
 * `tessera-lm serve`: builds the services once, serves HTTP, and runs the timers: the lease sweep (killed nodes
 * lose their seats), the status watcher (mails on Expiring, Grace, Expired, Invalid), and the sync loop for
 * online keys (every syncIntervalMinutes with jitter, so a fleet of LMs does not hit LC at the same second).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrustRoots } from '@tessera/core';
import type { Code } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { DEFAULT_CHECKOUTS_PER_MINUTE } from './config.js';
import type { LmConfig } from './config.js';
import { createLogger } from './log.js';
import { ensureDataPath, hostFingerprint, loadAdminToken, openIdentity } from './identity.js';
import type { OpenedIdentity } from './identity.js';
import { Seats } from './leases/seats.js';
import { Notifier } from './notify/mailer.js';
import type { NotificationKind } from './notify/mailer.js';
import { buildServer } from './http/server.js';
import type { RouteRecord } from './http/server.js';
import { RefusalCounter } from './http/metrics.js';
import type { LmServices } from './services/index.js';
import { Guards } from './services/guards.js';
import { LicenseService } from './services/license.js';
import { TrustService } from './services/trust.js';
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
  /** Every route with its schema, as registered. */
  readonly routeTable: RouteRecord[];
  readonly notifier: Notifier;
  close(): Promise<void>;
}

/** A start-up problem a person must fix (config, trust bundle, data path); the CLI prints it without a trace. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly code: Code = 'BAD_REQUEST',
  ) {
    super(message);
  }
}

const EVENT_KEEP_MS = 90 * 86_400_000;
/** Events a person should look at. */
const WARNINGS = new Set(['sync.failed', 'clock.ahead', 'trust.refused']);

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

  const store = new StateStore(openStateDb(join(config.dataPath, 'state.db')));
  let opened: OpenedIdentity;
  let guards: Guards;
  let trust: TrustService;
  let warnings: string[];
  try {
    const fingerprint = options.fingerprint ?? hostFingerprint(config.fingerprint, config.dataPath);
    ({ opened, guards, trust, warnings } = openGuarded(config, fingerprint, store, trustText));
  } catch (error) {
    store.close();
    ownLogger?.close();
    throw error;
  }
  const identity = opened.identity;
  for (const warning of warnings) logger.warn({ event: 'trust.warning' }, warning);
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
    logger[WARNINGS.has(kind) ? 'warn' : 'info']({ event: kind, code }, detail);
  };

  let seats: Seats | null = null;
  const license = new LicenseService({
    store,
    trust,
    guards,
    identity,
    clock,
    center: config.center.url ? new CenterClient({ url: config.center.url, timeoutMs: config.timeoutMs, trust }) : null,
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
    trust,
    license,
    seats,
    seatAccess: { secret: seatConfig.secret, checkoutsPerMinute: seatConfig.checkoutsPerMinute },
    ttlMs: config.leaseTtlSeconds * 1000,
    adminToken,
    counters,
    startedAt: clock.now(),
    requestCodeEnabled: true,
  };
  const { app, routeTable } = buildServer(services, { logger, timeoutMs: config.timeoutMs, now: () => clock.now(), tls });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    store.close();
    ownLogger?.close();
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
      seats.flush();
      notifier.close();
      store.close();
      ownLogger?.close();
    },
  };
}

/**
 * The identity, the guards sealed with it, and the trust they hold, in the order that keeps a crash harmless: the
 * seal is written before a new identity key, and state.db's clock row is cleared only once it is in the seal.
 */
function openGuarded(config: LmConfig, fingerprint: string, store: StateStore, trustText: string) {
  let opened: OpenedIdentity;
  try {
    opened = openIdentity(config.dataPath, fingerprint);
  } catch (error) {
    throw new StartupError((error as Error).message, 'MALFORMED');
  }
  const guards = Guards.open(config.dataPath, opened.sealKey, opened.existed, opened.existed ? store.legacyGuards() : null);
  if (!guards.ok) throw new StartupError(guards.detail, guards.code);
  store.clearLegacyClock();
  opened.save();
  const pinned = config.trustRoots ? parseTrustRoots(config.trustRoots) : null;
  if (pinned && !pinned.ok) throw new StartupError(`trustRoot: ${pinned.detail}`, pinned.code);
  const trust = TrustService.open(trustText, config.trustPath, pinned?.value ?? null, guards.value);
  if (!trust.ok) throw new StartupError(trust.detail, trust.code);
  return { opened, guards: guards.value, trust: trust.value.trust, warnings: trust.value.warnings };
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
