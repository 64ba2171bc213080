/**
 * The license running out while everything runs: amber while expiring and in grace, then past grace the
 * enforcers lose their seats and leave, the count goes to 0 and the banner turns red, with no restart; a new
 * license brings the same enforcer processes back. The guard programs evaluate the license on their host's clock
 * (the License Manager's word is not the verdict), so the license's last seconds of grace run out in real time.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DAY } from '../../../packages/manager/test/support/world.js';
import { getJson, loadGuardLicense, pageText, Programs, startLm, waitUntil } from './support/guard.js';
import type { Lm } from './support/guard.js';

let lm: Lm;
const programs = new Programs();
/** How long the license's grace lasts once loaded: enough to see it in grace on a busy machine. */
const GRACE_LEFT_MS = 10_000;

beforeEach(async () => {
  lm = await startLm();
});
afterEach(async () => {
  await programs.killAll();
  await lm.close();
});

it('drops every enforcer once the license expires past grace, without restarting the controller', { timeout: 120_000 }, async () => {
  await loadGuardLicense(lm, { nodes: { enforcer: 2 }, expiresAt: new Date(lm.clock.now() + 2 * DAY).toISOString(), graceDays: 1 });
  const controller = await programs.startController(lm);
  expect(controller.status).toBe('Expiring');
  const status = async () => getJson(controller.url + '/api/status');
  const enforcers = [programs.enforcer(lm, controller.url, 'node-a'), programs.enforcer(lm, controller.url, 'node-b')];
  for (const enforcer of enforcers) await enforcer.waitFor('stdout', /connected to/);
  expect(await status()).toMatchObject({ managedNodes: 2, banner: { tone: 'amber', status: 'Expiring', code: 'EXPIRING' } });
  expect((await pageText(controller.url)).html).toContain('class="banner banner-amber"');

  // A new serial that expired a day ago, inside its one grace day for a few more seconds: still working, loudly.
  const graceEnds = Date.now() + GRACE_LEFT_MS;
  await loadGuardLicense(lm, { serial: 2, nodes: { enforcer: 2 }, expiresAt: new Date(graceEnds - DAY).toISOString(), graceDays: 1 });
  await waitUntil(async () => (await status()).license.status === 'Grace', 'the controller to see Grace');
  await waitUntil(async () => (await status()).managedNodes === 2, 'both enforcers to be managed in grace');
  expect((await status()).banner).toMatchObject({ tone: 'amber', code: 'IN_GRACE' });
  expect(Date.now()).toBeLessThan(graceEnds); // what was seen was the grace, not already its end

  // Past grace, by the clocks of the controller, the enforcers and the License Manager alike.
  // The enforcers may see it (and leave) before the controller's next poll, or the controller first (and drop them).
  await waitUntil(async () => {
    const now = await status();
    return now.managedNodes === 0 && now.license.status === 'Expired';
  }, 'managed nodes 0 and the license Expired');
  const after = await status();
  expect(after).toMatchObject({ enforcers: [], license: { licensed: false, status: 'Expired', code: 'EXPIRED' }, banner: { tone: 'red' } });
  const { html, text } = await pageText(controller.url);
  expect(html).toContain('class="banner banner-red"');
  expect(text).toContain('The license is not valid: Expired EXPIRED');
  expect(text).toContain('Managed node count: 0');
  for (const enforcer of enforcers) {
    // "left the controller" when the enforcer saw it first; otherwise the controller had already dropped it.
    await enforcer.waitFor('stderr', /has no seat: .+ \[EXPIRED\]; (left the controller, )?waiting for the seat to return/);
    expect(enforcer.child.exitCode).toBeNull(); // still running, waiting for its seat
  }
  expect(controller.program.child.exitCode).toBeNull();
  expect(controller.program.stdout()).toMatch(/license .* -> Expired \[EXPIRED\]/);

  // A renewed license: the same enforcer processes take their seats back and register again.
  const now = lm.clock.now();
  await loadGuardLicense(lm, { serial: 3, nodes: { enforcer: 2 }, expiresAt: new Date(now + 365 * DAY).toISOString() });
  await waitUntil(async () => (await status()).managedNodes === 2, 'both enforcers to come back', 30_000);
  expect((await status()).banner).toBeNull();
  for (const enforcer of enforcers) expect(enforcer.stdout().match(/connected to/g)!.length).toBeGreaterThanOrEqual(2);
});
