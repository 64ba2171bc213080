/**
 * "Missing or invalid" in NeuVector's words: a license that is there but cannot be used by guard (another
 * product's, or one not vouched for by the vendor root guard was built with) is treated like no license at all.
 * The root is compiled in: a --trust flag left over from earlier releases is refused, so no file can widen trust.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, makeRoot } from '../../../packages/manager/test/support/world.js';
import { CHILDREN, getJson, loadGuardLicense, pageText, Programs, startLm } from './support/guard.js';
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

it('treats a license for another product as invalid: no enforcer connects, count 0, red banner', CHILDREN, async () => {
  await loadGuardLicense(lm, { product: 'graphdb', nodes: { enforcer: 2 } });
  const controller = await programs.startController(lm);
  expect(controller.status).toBe('Invalid');

  const enforcer = programs.enforcer(lm, controller.url, 'node-a');
  expect(await enforcer.exited).toBe(3);
  expect(enforcer.stderr()).toMatch(/^guard: enforcer node-a cannot connect: .+ \[PRODUCT_MISMATCH\]\n$/);

  expect(await getJson(controller.url + '/api/status')).toMatchObject({
    managedNodes: 0,
    license: { licensed: false, code: 'PRODUCT_MISMATCH' },
    banner: { tone: 'red', code: 'PRODUCT_MISMATCH' },
  });
  const { text } = await pageText(controller.url);
  expect(text).toContain('The license is not valid: Invalid PRODUCT_MISMATCH');
  expect(text).toContain('This license is for graphdb, not for guard');
});

it('works with the root it was built with and refuses a License Manager vouched for by another root', CHILDREN, async () => {
  await loadGuardLicense(lm);
  const good = await programs.startController(lm);
  expect(good.status).toBe('Normal');
  const a = programs.enforcer(lm, good.url, 'node-a');
  await a.waitFor('stdout', /^guard enforcer node-a connected to /m);

  // Another vendor's License Manager, with a valid guard license of that vendor: not this guard's vendor.
  const stranger = await startLm(30, makeRoot());
  try {
    await loadGuardLicense(stranger);
    const bad = await programs.startController(stranger);
    expect(bad.status).toBe('Invalid');
    const status = await getJson(bad.url + '/api/status');
    expect(status).toMatchObject({ managedNodes: 0, banner: { tone: 'red', code: 'UNTRUSTED_ROOT' } });
    const b = programs.enforcer(stranger, good.url, 'node-b');
    expect(await b.exited).toBe(3);
    expect(b.stderr()).toMatch(/cannot connect: .+ \[UNTRUSTED_ROOT\]\n$/);
    expect((await call(stranger.daemon, 'GET', '/v1/usage')).body.roles.enforcer.used).toBe(0);
  } finally {
    await stranger.close();
  }
});

describe('a --trust flag left over from earlier releases', CHILDREN, () => {
  const sentence =
    "guard: --trust is no longer a flag: guard trusts only the vendor's root key compiled into it, and the License Manager serves the vendor's trust bundle; remove --trust (see README)\n";

  it('the controller exits 2 with one line saying the root is compiled in', async () => {
    await loadGuardLicense(lm);
    const controller = programs.run('controller.js', ['--license_manager_url', lm.addr, '--port', '0', '--trust', lm.world.trustPath]);
    expect(await controller.exited).toBe(2);
    expect(controller.stderr()).toBe(sentence);
    expect(controller.stdout()).toBe('');
  });

  it('the enforcer exits 2 the same way, before taking a seat', async () => {
    await loadGuardLicense(lm);
    const { url } = await programs.startController(lm);
    const args = ['--controller', url, '--license_manager_url', lm.addr, '--node-id', 'node-a'];
    for (const trust of [['--trust', lm.world.trustPath], [`--trust=${lm.world.trustPath}`], ['--trust', '']]) {
      const enforcer = programs.run('enforcer.js', [...args, ...trust]);
      expect(await enforcer.exited).toBe(2);
      expect(enforcer.stderr()).toBe(sentence);
    }
    expect((await call(lm.daemon, 'GET', '/v1/usage')).body.roles.enforcer.used).toBe(0);
  });
});
