/**
 * "Missing or invalid" in NeuVector's words: a license that is there but cannot be used by guard (another
 * product's, or one the vendor's trust bundle does not vouch for) is treated like no license at all. And neither
 * program runs without the vendor's trust bundle, since without it any fake License Manager would pass.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey, serializeTrustBundle } from '@tessera/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../../packages/manager/test/support/world.js';
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
  expect(text).toContain('holds a license for graphdb, not for guard');
});

it('works with the vendor trust bundle and refuses a license that bundle does not vouch for', CHILDREN, async () => {
  await loadGuardLicense(lm);
  const good = await programs.startController(lm);
  expect(good.status).toBe('Normal');
  const a = programs.enforcer(lm, good.url, 'node-a');
  await a.waitFor('stdout', /^guard enforcer node-a connected to /m);

  const strangerTrust = join(lm.world.dir, 'another-vendor.json');
  const stranger = generateSigningKey();
  writeFileSync(strangerTrust, serializeTrustBundle([{ kid: stranger.kid, state: 'active', publicKeyRaw: stranger.publicKeyRaw }]));
  const bad = await programs.startController(lm, ['--trust', strangerTrust]);
  expect(bad.status).toBe('Invalid');
  const status = await getJson(bad.url + '/api/status');
  expect(status).toMatchObject({ managedNodes: 0, banner: { tone: 'red', code: 'UNKNOWN_KEY' } });
  const b = programs.enforcer(lm, good.url, 'node-b', ['--trust', strangerTrust]);
  expect(await b.exited).toBe(3);
  expect(b.stderr()).toMatch(/cannot connect: .+ \[UNKNOWN_KEY\]\n$/);
});

describe('without --trust', CHILDREN, () => {
  const sentence = "guard: --trust is required: the vendor's trust bundle file shipped with the product; see README\n";

  it('the controller exits 2 with one line saying what the file is', async () => {
    await loadGuardLicense(lm);
    const controller = programs.run('controller.js', ['--license_manager_url', lm.addr, '--port', '0']);
    expect(await controller.exited).toBe(2);
    expect(controller.stderr()).toBe(sentence);
    expect(controller.stdout()).toBe('');
  });

  it('the enforcer exits 2 the same way, before taking a seat', async () => {
    await loadGuardLicense(lm);
    const { url } = await programs.startController(lm);
    const args = ['--controller', url, '--license_manager_url', lm.addr, '--node-id', 'node-a'];
    const enforcer = programs.run('enforcer.js', args);
    expect(await enforcer.exited).toBe(2);
    expect(enforcer.stderr()).toBe(sentence);
    const empty = programs.run('enforcer.js', [...args, '--trust', '']);
    expect(await empty.exited).toBe(2);
    expect(empty.stderr()).toBe(sentence);
    expect((await call(lm.daemon, 'GET', '/v1/usage')).body.roles.enforcer.used).toBe(0);
  });
});
