/**
 * watch() through an LM outage: the last verified answer stands for two polls, then a usable license stands on its
 * signed outage grace as Degraded (still licensed, with `outage`), then Unreachable; an answer that does not verify
 * is silence while a license stands; the license's own expiry still ends it. Time is moved, not waited for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { watch } from '@tessera/sdk';
import type { LicenseWatch } from '@tessera/sdk';
import { DAY, recordChanges, startLm, until } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';
import { TestTimers } from './support/timers.js';

const HOUR = 3_600_000;
const POLL = 20;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function watched(
  license: Record<string, unknown>,
): Promise<{ lm: TestLm; proxy: Proxy; timers: TestTimers; live: LicenseWatch; pass(ms: number): void }> {
  const lm = await startLm({ license });
  cleanups.push(() => lm.cleanup());
  const proxy = await startProxy(lm.url);
  cleanups.push(() => proxy.close());
  const timers = new TestTimers();
  const live = await watch({ ...lm.sdk, url: proxy.url, product: 'graphdb', pollMs: POLL, timeoutMs: 1000, timers });
  cleanups.push(() => live.close());
  return {
    lm,
    proxy,
    timers,
    live,
    pass(ms) {
      lm.world.clock.advance(ms);
      timers.advance(ms);
    },
  };
}

describe('watch() with an outage grace of 72 h', () => {
  it('stands as Degraded after two silent polls, until the grace ends; then Unreachable', async () => {
    const { proxy, live, pass } = await watched({ outageGraceHours: 72 });
    const changes = recordChanges(live);
    proxy.down = true;
    pass(2 * POLL + 1000);
    await until(() => live.status().status === 'Degraded', 'Degraded');
    expect(live.status()).toMatchObject({ licensed: true, code: 'LM_UNREACHABLE', features: ['scan'], outageGraceHours: 72 });
    expect(live.status().message).toMatch(/graphdb stays licensed under the license's outage grace of 72 hours/);
    expect(live.isEnabled('scan')).toBe(true);

    pass(71 * HOUR);
    const polls = proxy.seen['/v1/license'] ?? 0;
    await until(() => (proxy.seen['/v1/license'] ?? 0) > polls + 2, 'polls at 71 h');
    expect(live.status()).toMatchObject({ licensed: true, status: 'Degraded' });

    pass(2 * HOUR);
    await until(() => !live.status().licensed, 'the grace ends');
    expect(live.status()).toMatchObject({ status: 'Unreachable', code: 'LM_UNREACHABLE', outage: null, serial: 1 });
    expect(live.status().message).toMatch(/outage grace of 72 hours ran out/);
    expect(changes.map((c) => c.state.status)).toEqual(['Degraded', 'Unreachable']);
  });

  it('is Normal again as soon as the LM answers', async () => {
    const { proxy, live, pass } = await watched({ outageGraceHours: 72 });
    const changes = recordChanges(live);
    proxy.down = true;
    pass(10 * HOUR);
    await until(() => live.status().status === 'Degraded', 'Degraded');
    proxy.down = false;
    await until(() => live.status().status === 'Normal', 'Normal');
    expect(live.status()).toMatchObject({ licensed: true, code: 'VALID', outage: null });
    expect(changes.map((c) => c.state.status)).toEqual(['Degraded', 'Normal']);
  });

  it('counts an answer that does not verify (a replayed one) as silence while the license stands', async () => {
    const { proxy, live, pass } = await watched({ outageGraceHours: 72 });
    let recorded: unknown = null;
    proxy.rewrite = (path, body) => {
      if (path === '/v1/license') recorded ??= body;
      return body;
    };
    const polls = proxy.seen['/v1/license'] ?? 0;
    await until(() => recorded !== null && (proxy.seen['/v1/license'] ?? 0) > polls, 'an answer recorded');
    proxy.answer = (path) => (path === '/v1/license' ? { status: 200, body: recorded } : null);
    const replays = proxy.answered['/v1/license'] ?? 0;
    await until(() => (proxy.answered['/v1/license'] ?? 0) > replays + 1, 'replayed answers');
    expect(live.status()).toMatchObject({ licensed: true, code: 'VALID' }); // not refused STALE_ANSWER
    pass(2 * POLL + 1000);
    await until(() => live.status().status === 'Degraded', 'Degraded');
    expect(live.status().message).toMatch(/another nonce/);
  });

  it('still ends when the license expires past its grace days during the outage', async () => {
    const { proxy, live, pass } = await watched({
      outageGraceHours: 72,
      expiresAt: new Date(Date.now() + DAY).toISOString(),
      graceDays: 0,
    });
    proxy.down = true;
    pass(25 * HOUR);
    await until(() => !live.status().licensed, 'expired');
    expect(live.status()).toMatchObject({ status: 'Expired', code: 'EXPIRED' });
  });
});

describe('watch() with a strict license (no outage grace)', () => {
  it('says Unreachable after two silent polls, never Degraded', async () => {
    const { proxy, live, pass } = await watched({});
    const changes = recordChanges(live);
    proxy.down = true;
    pass(2 * POLL + 1000);
    await until(() => live.status().status === 'Unreachable', 'Unreachable');
    expect(live.status()).toMatchObject({ licensed: false, outageGraceHours: 0 });
    expect(changes.map((c) => c.state.status)).toEqual(['Unreachable']);
  });
});
