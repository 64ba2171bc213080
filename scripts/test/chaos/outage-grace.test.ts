/**
 * Chaos: the outage grace with a real License Manager process. Killed, it is silent: a node (an SDK connection whose
 * clock and timers the test moves, since 73 hours are not waited for) stays licensed, Degraded, for the license's
 * 72 hours and no longer. Running, it answers and refuses (the license no longer grants the node's role): the seat
 * ends with its lease whatever the grace, and the node is never Degraded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '@tessera/sdk';
import { TestTimers } from '../../../packages/sdk/test/support/timers.js';
import type { World } from '../../../packages/manager/test/support/world.js';
import { chaosWorld, licenseOf, loadKey, node, startLm, until } from './support.js';
import type { LmProcess } from './support.js';

const HOUR = 3_600_000;
const TTL_SECONDS = 5;

let world: World;
const lms: LmProcess[] = [];
const nodes: Connection[] = [];

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close().catch(() => {})));
  await Promise.all(lms.splice(0).map((lm) => lm.kill9()));
  world.cleanup();
});

async function licensedLm(change: Record<string, unknown> = {}): Promise<LmProcess> {
  world = chaosWorld();
  const lm = await startLm(world, { leaseTtlSeconds: TTL_SECONDS });
  lms.push(lm);
  await loadKey(lm, licenseOf(world, lm.lmid, { nodes: { query: 2, storage: 2 }, outageGraceHours: 72, ...change }));
  return lm;
}

describe('the outage grace, with a real License Manager', () => {
  it(
    'keeps a node licensed (Degraded) while its License Manager is silent for 71 h of a 72 h grace, and not at 73 h',
    { timeout: 60_000 },
    async () => {
      const lm = await licensedLm();
      const timers = new TestTimers();
      let offset = 0;
      const clock = { now: () => Date.now() + offset };
      const pass = (ms: number) => {
        offset += ms;
        timers.advance(ms);
      };
      const connection = await node(world, [lm.url], 'q1', { heartbeatMs: 500, timers, clock });
      nodes.push(connection);
      expect(connection.status()).toMatchObject({ licensed: true, status: 'Normal', outageGraceHours: 72 });

      await lm.kill9();
      pass(71 * HOUR);
      const degraded = await until(
        () => connection.status(),
        (s) => s.status === 'Degraded',
        'Degraded at 71 h',
      );
      expect(degraded).toMatchObject({ licensed: true, code: 'LM_UNREACHABLE', features: ['scan'] });
      expect(Date.parse(degraded.outage!.graceEndsAt) - Date.parse(degraded.outage!.since)).toBe(72 * HOUR);

      pass(2 * HOUR);
      const ended = await until(
        () => connection.status(),
        (s) => !s.licensed,
        'unlicensed at 73 h',
      );
      expect(ended).toMatchObject({ licensed: false, code: 'LM_UNREACHABLE', seat: null });
    },
  );

  it(
    'ends the seat with its lease when the License Manager answers and refuses, grace or not, never Degraded',
    { timeout: 60_000 },
    async () => {
      const lm = await licensedLm();
      const connection = await node(world, [lm.url], 'q1', { heartbeatMs: 500 });
      nodes.push(connection);
      const statuses: string[] = [];
      connection.on('change', (state) => statuses.push(state.status));

      // The vendor's next license no longer grants query nodes: the License Manager refuses the node's renewal.
      await loadKey(lm, licenseOf(world, lm.lmid, { serial: 2, nodes: { storage: 2 }, outageGraceHours: 72 }));
      const refusedFrom = Date.now();
      const ended = await until(
        () => connection.status(),
        (s) => !s.licensed,
        'the seat ended',
        TTL_SECONDS * 1000 + 2000,
      );
      expect(Date.now() - refusedFrom).toBeLessThan(TTL_SECONDS * 1000 + 2000);
      expect(ended).toMatchObject({ licensed: false, code: 'ROLE_NOT_LICENSED', seat: null });
      expect(statuses).not.toContain('Degraded');
    },
  );
});
