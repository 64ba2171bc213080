/**
 * A real License Manager for SDK tests, from the manager's own test support: the daemon in this process with a
 * clock that runs with this host's and that a test can move ahead (the SDK is given the same clock, so it
 * evaluates the license at the time the LM sees), a vendor root whose signed trust bundle the LM serves, a short
 * lease TTL, and helpers to load licenses, restart the daemon on the same port and data path, and wait for the SDK
 * to notice.
 */
import { parseEnvelope } from '@tessera/core';
import type { LicenseInput, SigningKey } from '@tessera/core';
import { RunningClock } from '../../../manager/src/clock.js';
import type { LmConfig } from '../../../manager/src/config.js';
import type { LicenseState, LicenseWatch } from '@tessera/sdk';
import type { Daemon } from '../../../manager/src/daemon.js';
import { admin, call, DAY, licenseFor, makeWorld, start } from '../../../manager/test/support/world.js';
import type { World, WorldOptions } from '../../../manager/test/support/world.js';

export { call, DAY };

export interface TestLm {
  world: World & { clock: RunningClock };
  daemon: Daemon;
  url: string;
  /** The vendor root the product is built with (`tessera-root:…`). */
  root: string;
  /** What every SDK call of a test passes: the LM's address, the product's root, and the LM's clock. */
  sdk: { url: string; root: string; clock: RunningClock };
  /** Loads a license for this LM (graphdb: 2 query, 3 storage; remote_clusters 2; feature scan), valid a year from now. */
  load(change?: Partial<LicenseInput>, vendor?: SigningKey): Promise<void>;
  stop(): Promise<void>;
  /** Starts the daemon again on the same port and data path. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface TestLmOptions {
  ttlSeconds?: number;
  /** The license loaded at start; null: none. */
  license?: Partial<LicenseInput> | null;
  /** Changes to the LM's configuration (seats.secret, tls, ...). */
  config?: Partial<LmConfig>;
  /** The trust file the LM reads ('legacy': a plain v1 bundle) and the vendor root. */
  world?: WorldOptions;
  /** The LM's clock (and so the SDK's, through `sdk`): a new one running with this host's unless given. */
  clock?: RunningClock;
}

export async function startLm(options: TestLmOptions = {}): Promise<TestLm> {
  const made = makeWorld({ leaseTtlSeconds: options.ttlSeconds ?? 3, ...options.config }, undefined, options.world);
  const world = { ...made, clock: options.clock ?? new RunningClock() };
  let daemon: Daemon | null = await start(world, { timers: { sweepMs: 60_000 } });
  world.config.port = daemon.port; // a restart comes back at the same address
  const lm: TestLm = {
    world,
    get daemon() {
      if (!daemon) throw new Error('the LM is stopped');
      return daemon;
    },
    url: daemon.url,
    root: world.root.text,
    sdk: { url: daemon.url, root: world.root.text, clock: world.clock },
    async load(change = {}, vendor) {
      const now = world.clock.now();
      const key = licenseFor(vendor ? { ...world, vendor } : world, lm.daemon.lmid, {
        issuedAt: new Date(now - DAY).toISOString(),
        startsAt: new Date(now - DAY).toISOString(),
        expiresAt: new Date(now + 365 * DAY).toISOString(),
        ...change,
      });
      await loadKey(lm.daemon, key);
    },
    async stop() {
      await daemon?.close();
      daemon = null;
    },
    async restart() {
      await lm.stop();
      daemon = await start(world, { timers: { sweepMs: 60_000 } });
    },
    async cleanup() {
      await lm.stop();
      world.cleanup();
    },
  };
  if (options.license !== null) await lm.load(options.license ?? {});
  return lm;
}

/** Loads a license key through the admin API (forced, so an expired one loads too). */
export async function loadKey(daemon: Daemon, key: string): Promise<void> {
  const answer = await admin(daemon, '/v1/admin/load', { key, force: true });
  if (answer.status !== 200) throw new Error(`load failed: ${JSON.stringify(answer.body)}`);
}

/** Seats the LM counts now, per role. */
export async function usedSeats(lm: TestLm): Promise<Record<string, number>> {
  const usage = await call(lm.daemon, 'GET', '/v1/usage');
  return Object.fromEntries(Object.entries(usage.body.roles as Record<string, { used: number }>).map(([role, u]) => [role, u.used]));
}

/** Polls until `check` holds, with a generous deadline (tests never assert on durations). */
export async function until(check: () => boolean | Promise<boolean>, what: string, deadlineMs = 15_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Records every change event of a watch or connection. */
export function recordChanges(live: LicenseWatch): Array<{ state: LicenseState; previous: LicenseState }> {
  const seen: Array<{ state: LicenseState; previous: LicenseState }> = [];
  live.on('change', (state, previous) => seen.push({ state, previous }));
  return seen;
}

/** The connection a lease token was signed for (its instance): what the LM needs, with the lease id, to free the seat. */
export function leaseInstance(token: string): string {
  const envelope = parseEnvelope(token, 'lease');
  if (!envelope.ok) throw new Error(envelope.detail);
  return String(envelope.value.payload.instance);
}
