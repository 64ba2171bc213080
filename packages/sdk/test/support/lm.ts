/**
 * A real License Manager for SDK tests, from the manager's own test support: the daemon in this process with a
 * clock that runs with this host's (the SDK checks lease tokens against it, and the LM signs a new lease token
 * only as its time passes) and that a test can still move ahead, a short lease TTL, and helpers
 * to load licenses, restart the daemon on the same port and data path, and wait for the SDK to notice.
 */
import { readFileSync } from 'node:fs';
import type { LicenseInput } from '@tessera/core';
import { RunningClock } from '../../../manager/src/clock.js';
import type { LicenseState, LicenseWatch } from '@tessera/sdk';
import type { Daemon } from '../../../manager/src/daemon.js';
import { admin, call, DAY, licenseFor, makeWorld, start } from '../../../manager/test/support/world.js';
import type { World } from '../../../manager/test/support/world.js';

export { call, DAY };

export interface TestLm {
  world: World;
  daemon: Daemon;
  url: string;
  trust: string;
  /** Loads a license for this LM (graphdb: 2 query, 3 storage; remote_clusters 2; feature scan), valid a year from now. */
  load(change?: Partial<LicenseInput>): Promise<void>;
  stop(): Promise<void>;
  /** Starts the daemon again on the same port and data path. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startLm(options: { ttlSeconds?: number; license?: Partial<LicenseInput> | null } = {}): Promise<TestLm> {
  const world = { ...makeWorld({ leaseTtlSeconds: options.ttlSeconds ?? 3 }), clock: new RunningClock() };
  let daemon: Daemon | null = await start(world, { timers: { sweepMs: 60_000 } });
  world.config.port = daemon.port; // a restart comes back at the same address
  const lm: TestLm = {
    world,
    get daemon() {
      if (!daemon) throw new Error('the LM is stopped');
      return daemon;
    },
    url: daemon.url,
    trust: readFileSync(world.trustPath, 'utf8'),
    async load(change = {}) {
      const now = world.clock.now();
      const key = licenseFor(world, lm.daemon.lmid, {
        issuedAt: new Date(now - DAY).toISOString(),
        startsAt: new Date(now - DAY).toISOString(),
        expiresAt: new Date(now + 365 * DAY).toISOString(),
        ...change,
      });
      const answer = await admin(lm.daemon, '/v1/admin/load', { key, force: true });
      if (answer.status !== 200) throw new Error(`load failed: ${JSON.stringify(answer.body)}`);
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
