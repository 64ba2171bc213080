/**
 * guard through an outage of its License Manager, with a license whose outage grace is 72 hours: the controller
 * shows an amber banner saying until when, the enforcers connected before keep enforcing (and stay managed) though
 * their seat tokens run out unrenewed, a new enforcer is refused, and all is normal once the LM is back. The
 * enforcer list's rules on their own, on a clock the test sets, and the banner, come first.
 */
import { describe, expect, it, afterEach } from 'vitest';
import type { LicenseState } from '@tessera/sdk';
import { Enforcers } from '../src/controller/enforcers.js';
import { bannerFor } from '../src/controller/status.js';
import { CHILDREN, getJson, loadGuardLicense, pageText, Programs, startLm, waitUntil } from './support/guard.js';
import type { Lm } from './support/guard.js';

const HOUR = 3_600_000;

describe('the enforcer list while the license stands on its outage grace', () => {
  it('keeps an enforcer whose token ran out until the grace ends, then one token span to renew once the License Manager is back', () => {
    let now = 1_000_000;
    let graceUntil: number | null = null;
    const dropped: string[] = [];
    const enforcers = new Enforcers({
      now: () => now,
      staleMs: 3000,
      graceUntil: () => graceUntil,
      onDrop: (e, why) => dropped.push(`${e.nodeId}: ${why}`),
    });
    const registered = enforcers.register('node-a', { leaseId: 'lse_a', expiresAt: now + 5000 }, null);
    const session = 'session' in registered ? registered.session : '';

    graceUntil = now + 72 * HOUR; // the License Manager went silent: the controller's license is Degraded
    now += 10_000; // the token ran out; the enforcer still heartbeats (its token cannot be checked)
    enforcers.seen('node-a', session);
    enforcers.dropLapsed();
    expect(enforcers.count).toBe(1);
    expect('conflict' in enforcers.register('node-a', { leaseId: 'lse_other', expiresAt: now + 5000 }, null)).toBe(true);

    now += 10_000;
    enforcers.dropLapsed(); // silent for longer than staleMs: dropped, grace or not
    expect(dropped).toEqual(['node-a: it stopped heartbeating']);

    const again = enforcers.register('node-b', { leaseId: 'lse_b', expiresAt: now + 5000 }, null);
    const sessionB = 'session' in again ? again.session : '';
    now += 10_000;
    enforcers.seen('node-b', sessionB);
    enforcers.dropLapsed();
    // The License Manager answers again: the grace ends, and node-b has one token span (5 s) to bring a fresh token.
    graceUntil = null;
    enforcers.dropLapsed();
    expect(enforcers.count).toBe(1);
    now += 2000;
    enforcers.seen('node-b', sessionB);
    enforcers.dropLapsed();
    expect(enforcers.count).toBe(1);
    now += 3000; // the span is over without a fresh token
    enforcers.seen('node-b', sessionB);
    enforcers.dropLapsed();
    expect(dropped.at(-1)).toBe('node-b: its seat token ran out without a fresh one');

    // One that brings a fresh token within the span stays, with its seat running from the new token.
    const c = enforcers.register('node-c', { leaseId: 'lse_c', expiresAt: now + 5000 }, null);
    const sessionC = 'session' in c ? c.session : '';
    graceUntil = now + 72 * HOUR;
    enforcers.dropLapsed();
    now += 8000;
    enforcers.seen('node-c', sessionC);
    graceUntil = null;
    enforcers.dropLapsed();
    now += 1000;
    enforcers.heartbeat('node-c', sessionC, { leaseId: 'lse_c', expiresAt: now + 5000 });
    now += 2500;
    enforcers.dropLapsed();
    expect(enforcers.list()).toMatchObject([{ nodeId: 'node-c', seatExpiresAt: new Date(now + 2500).toISOString() }]);
  });

  it('without an outage grace (a strict license), drops an enforcer the moment its token runs out', () => {
    let now = 1_000_000;
    const dropped: string[] = [];
    const enforcers = new Enforcers({
      now: () => now,
      staleMs: 3000,
      graceUntil: () => null,
      onDrop: (e, why) => dropped.push(`${e.nodeId}: ${why}`),
    });
    const registered = enforcers.register('node-a', { leaseId: 'lse_a', expiresAt: now + 5000 }, null);
    now += 2500;
    enforcers.seen('node-a', 'session' in registered ? registered.session : '');
    now += 2500;
    enforcers.dropLapsed();
    expect(dropped).toEqual(['node-a: its seat token ran out without a fresh one']);
  });

  it('shows an amber banner while Degraded, saying until when and what it means for enforcers', () => {
    const state = {
      licensed: true,
      status: 'Degraded',
      code: 'LM_UNREACHABLE',
      message: 'The License Manager at http://lm:9119 has not answered since T0 (...). guard stays licensed ... until T1 at the latest.',
      outage: { since: 'T0', graceEndsAt: 'T1' },
    } as LicenseState;
    expect(bannerFor(state)).toEqual({
      tone: 'amber',
      status: 'Degraded',
      code: 'LM_UNREACHABLE',
      message: `${state.message} Connected enforcers keep enforcing until then; a new enforcer cannot connect until the License Manager answers.`,
    });
  });
});

describe('a controller and an enforcer whose License Manager stops answering', CHILDREN, () => {
  const programs = new Programs();
  let lm: Lm | null = null;
  afterEach(async () => {
    await programs.killAll();
    await lm?.close();
    lm = null;
  });

  it('keep the enforcer managed under an amber banner, refuse a new one, and are normal once the LM is back', async () => {
    // Leases outlast the controller's two polls and its request timeout (5.4 s), as the defaults do (60 s vs 25 s).
    const running = (lm = await startLm(8));
    await loadGuardLicense(running, { outageGraceHours: 72 });
    const { url } = await programs.startController(running);
    const a = programs.enforcer(running, url, 'node-a');
    await a.waitFor('stdout', /connected to/);
    const status = () => getJson(url + '/api/status');

    await running.stop();
    await waitUntil(async () => (await status()).license.status === 'Degraded', 'the controller to be Degraded', 30_000);
    const degraded = await status();
    expect(degraded.banner).toMatchObject({ tone: 'amber', status: 'Degraded', code: 'LM_UNREACHABLE' });
    expect(degraded.license).toMatchObject({ licensed: true, enforcerSeats: 2, outage: { graceEndsAt: expect.any(String) } });
    const { text } = await pageText(url);
    expect(text).toContain('The License Manager is not answering: Degraded LM_UNREACHABLE');
    expect(text).toMatch(/Outage grace until \S+ \(License Manager silent since \S+\)/);

    // Two sweeps after the enforcer's last verified token ran out, it is still managed: its heartbeats go on.
    await waitUntil(
      async () => {
        const [enforcer] = (await status()).enforcers;
        return enforcer && Date.parse(enforcer.lastSeenAt) > Date.parse(enforcer.seatExpiresAt) + 2500;
      },
      'heartbeats well past the token',
      30_000,
    );
    expect((await status()).managedNodes).toBe(1);
    expect(a.stderr()).not.toMatch(/has no seat|left the controller/);

    const b = programs.enforcer(running, url, 'node-b');
    expect(await b.exited).toBe(3);
    expect(b.stderr()).toMatch(/^guard: enforcer node-b cannot connect: .*cannot be reached.* \[LM_UNREACHABLE\]\n$/);

    await running.restart();
    await waitUntil(async () => (await status()).license.status === 'Normal', 'Normal again', 30_000);
    const after = await status();
    expect(after).toMatchObject({ banner: null, managedNodes: 1, license: { outage: null } });
  });
});
