/** GET /v1/license: the license, the root-signed trust bundle and the LM's signed answer to the SDK's nonce. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBase64Url, deriveLmid, publicKeyFromRaw, readLmAnswer } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { admin, call, licenseFor, makeWorld, start, T0 } from './support/world.js';
import type { World, WorldOptions } from './support/world.js';

let world: World;
let lm: Daemon;
afterEach(async () => {
  await lm.close();
  world.cleanup();
});

async function open(options: WorldOptions = {}) {
  world = makeWorld({}, undefined, options);
  lm = await start(world);
}

const NONCE = 'n0nce-of-the-sdk_123456';

/** The answer, read as the SDK reads it: the LMID derived from the key served, then signature, nonce and fields. */
function readAnswer(body: { lmid: string; lmPublicKey: string; hostDigest: string; answer: unknown }, nonce = NONCE) {
  const raw = decodeBase64Url(body.lmPublicKey)!;
  expect(deriveLmid(raw, decodeBase64Url(body.hostDigest)!)).toBe(body.lmid);
  return readLmAnswer(body.answer, { lmid: body.lmid, publicKey: publicKeyFromRaw(raw)!, nonce });
}

describe('GET /v1/license', () => {
  it('serves the license, the root-signed trust bundle of the trust file, and no answer without a nonce', async () => {
    await open();
    const key = licenseFor(world, lm.lmid);
    await admin(lm, '/v1/admin/load', { key });
    const { status, body } = await call(lm, 'GET', '/v1/license');
    expect(status).toBe(200);
    expect(body).toMatchObject({ lmid: lm.lmid, status: 'Normal', code: 'VALID', license: key, answer: null });
    expect(body.trust).toMatch(/^tessera-trust:/);
    expect(JSON.parse(readFileSync(world.trustPath, 'utf8')).bundle).toBe(body.trust);
  });

  it("signs back the SDK's nonce with the license held, the bundle serial, its clock and its high-water mark", async () => {
    await open();
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid, { serial: 4 }) });
    world.clock.advance(5 * 60_000);
    const { body } = await call(lm, 'GET', `/v1/license?nonce=${NONCE}`);
    const answer = readAnswer(body);
    expect(answer).toMatchObject({
      ok: true,
      value: {
        nonce: NONCE,
        lmid: lm.lmid,
        license: { id: 'lic_lmtest', serial: 4 },
        bundleSerial: 1,
        lmTime: new Date(T0 + 5 * 60_000).toISOString(),
        highWater: new Date(T0 + 5 * 60_000).toISOString(),
      },
    });
    // The same answer is refused for the next request's nonce: a recorded answer cannot be served again.
    expect(readAnswer(body, 'another-nonce-0123456789')).toMatchObject({ ok: false, code: 'STALE_ANSWER' });
  });

  it('answers with license null before a license is loaded', async () => {
    await open();
    const { body } = await call(lm, 'GET', `/v1/license?nonce=${NONCE}`);
    expect(body).toMatchObject({ license: null, status: 'NotExist' });
    expect(readAnswer(body)).toMatchObject({ ok: true, value: { license: null, bundleSerial: 1 } });
  });

  it('answers a bad nonce or an unknown parameter with 400 BAD_REQUEST', async () => {
    await open();
    for (const query of ['nonce=short', `nonce=${'a'.repeat(65)}`, 'nonce=has%20spaces%20in%20it%20too', 'nonce=', `nonse=${NONCE}`]) {
      const { status, body } = await call(lm, 'GET', `/v1/license?${query}`);
      expect([status, body.error.code], query).toEqual([400, 'BAD_REQUEST']);
    }
  });

  it('serves trust null and bundleSerial null with a plain v1 trust file (a release before roots)', async () => {
    await open({ trust: 'legacy' });
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) });
    const { body } = await call(lm, 'GET', `/v1/license?nonce=${NONCE}`);
    expect(body).toMatchObject({ trust: null, status: 'Normal' });
    expect(readAnswer(body)).toMatchObject({ ok: true, value: { bundleSerial: null, license: { id: 'lic_lmtest', serial: 1 } } });
  });
});
