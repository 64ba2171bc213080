/** What NeuVector users know: with the license missing, no enforcer connects, node count 0, a red banner. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHILDREN, getJson, pageText, Programs, send, startLm } from './support/guard.js';
import type { Lm } from './support/guard.js';

let lm: Lm;
const programs = new Programs();

beforeEach(async () => {
  lm = await startLm();
});
afterEach(async () => {
  await programs.killAll();
  await lm.close();
});

describe('without a license', CHILDREN, () => {
  it('refuses every enforcer (exit 3, one line naming the code) and shows 0 managed nodes under a red banner', async () => {
    const controller = await programs.startController(lm);
    expect(controller.status).toBe('NotExist');

    const enforcer = programs.enforcer(lm, controller.url, 'node-a');
    expect(await enforcer.exited).toBe(3);
    const lines = enforcer.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^guard: enforcer node-a cannot connect: .+ \[NO_LICENSE\]$/);
    expect(enforcer.stdout()).toBe('');

    const status = await getJson(controller.url + '/api/status');
    expect(status).toMatchObject({
      managedNodes: 0,
      enforcers: [],
      license: { licensed: false, status: 'NotExist', code: 'NO_LICENSE', enforcerSeats: 0 },
      banner: { tone: 'red', code: 'NO_LICENSE' },
      clusters: { joined: [], limit: 0 },
      features: { scan: false, enforce: false, federation: false },
    });

    const { html, text } = await pageText(controller.url);
    expect(html).toContain('class="banner banner-red"');
    expect(text).toContain('The license is not valid: NotExist NO_LICENSE');
    expect(text).toContain('No enforcer can connect, so the managed node count is 0');
    expect(text).toContain('Managed node count: 0 of 0 enforcer seats licensed');
    expect(text).toContain('No enforcer is connected.');
    expect(text).toMatch(/scan off enforce off federation off/);
  });

  it('refuses a registration before looking at its seat token, and every gated action', async () => {
    const controller = await programs.startController(lm);
    const register = await send(controller.url + '/api/enforcers', 'POST', { nodeId: 'node-a', token: 'tessera-lease.made-up' });
    expect(register.status).toBe(403);
    expect(register.body.error.code).toBe('NO_LICENSE');
    expect(register.body.error.message).toMatch(/^No enforcer may connect to this guard controller: /);

    const scan = await send(controller.url + '/api/scan', 'POST');
    expect([scan.status, scan.body.error.code]).toEqual([403, 'FEATURE_NOT_LICENSED']);
    const join = await send(controller.url + '/api/clusters', 'POST', { name: 'east' });
    expect([join.status, join.body.error.code]).toEqual([403, 'LIMIT_EXCEEDED']);
    expect(join.body.error.message).toMatch(/allows no remote clusters \(limit remote_clusters\)/);
  });
});
