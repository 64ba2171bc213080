/**
 * Clock resets for offline License Managers over real HTTP on each dialect: staff answer a request code carrying
 * the LM's clock mark with a reset signed by the active key, for that LMID and that exact mark; codes without a
 * mark, with a mark not ahead of the License Center's time, or damaged are refused with a sentence; roles apply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestCode, readClockReset, readTrustFile } from '@tessera/core';
import { DIALECTS } from './support/databases.js';
import { startTestCenter, staffWorld } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';
import { makeLm, unwrap } from './support/licensing.js';

describe.each(DIALECTS)('clock resets on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;
  const lm = makeLm();
  const codeWith = (highWater: string | null) =>
    unwrap(
      createRequestCode(
        {
          contact: { name: 'Ann', email: 'ann@acme.example', phone: '' },
          host: { hostname: 'lm-1', os: 'linux x64', lmVersion: '0.2.0' },
          product: 'graphdb',
          nodes: { query: 1 },
          limits: {},
          features: [],
          months: 12,
          createdAt: new Date(tc.clock.now()).toISOString(),
          highWater,
        },
        { privateKey: lm.privateKey, hostDigest: lm.hostDigest },
      ),
    );

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    world = await staffWorld(tc);
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('answers a code whose mark is ahead with a reset for that LMID and mark, to the License Center’s time', async () => {
    const ahead = new Date(tc.clock.now() + 200 * 86_400_000).toISOString();
    const answer = await world.admin.post('/v1/staff/request-codes/clock-reset', { requestCode: codeWith(ahead) });
    expect(answer.status).toBe(200);
    const toTime = new Date(tc.clock.now()).toISOString();
    expect(answer.body).toMatchObject({ lmid: lm.lmid, fromHighWater: ahead, toTime });
    const file = unwrap(readTrustFile(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text()));
    expect(unwrap(readClockReset(answer.body.reset, file.bundle))).toMatchObject({ lmid: lm.lmid, fromHighWater: ahead, toTime });
    expect(await world.audited(lm.lmid)).toContainEqual(expect.objectContaining({ action: 'clock.reset_issued', fromHighWater: ahead }));
    expect((await world.support.post('/v1/staff/request-codes/clock-reset', { requestCode: codeWith(ahead) })).status).toBe(200);
  });

  it('refuses a code without a mark, a mark not ahead, a damaged code, and anyone but admin and support', async () => {
    const old = await world.admin.post('/v1/staff/request-codes/clock-reset', { requestCode: codeWith(null) });
    expect(old.status).toBe(400);
    expect(old.body.error.message).toMatch(/does not carry the License Manager's clock mark/);
    const behind = await world.admin.post('/v1/staff/request-codes/clock-reset', {
      requestCode: codeWith(new Date(tc.clock.now() - 1000).toISOString()),
    });
    expect(behind.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/nothing to reset/) });
    const damaged = await world.admin.post('/v1/staff/request-codes/clock-reset', { requestCode: 'tessera-request:12.abc.def' });
    expect(damaged.status).toBe(400);
    expect(damaged.body.error.code).toBe('MALFORMED');
    const ahead = codeWith(new Date(tc.clock.now() + 86_400_000).toISOString());
    expect((await world.sales.post('/v1/staff/request-codes/clock-reset', { requestCode: ahead })).status).toBe(404);
    expect((await world.customer.post('/v1/staff/request-codes/clock-reset', { requestCode: ahead })).status).toBe(404);
  });
});
