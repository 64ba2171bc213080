/**
 * The core known-answer fixtures, verified through the License Manager: each fixture license is loaded into a
 * real daemon that holds the fixture LM identity, at the fixture's time, and must get the fixture's verdict.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBase64Url, sha256 } from '@tessera/core';
import { EMPTY_SEALED_STATE, sealKey, writeSealedState } from '../src/state/sealed-state.js';
import { admin, call, makeWorld, start } from './support/world.js';

const fixtures = new URL('../../core/test/fixtures/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixtures), 'utf8');
const { lmid, licenses } = JSON.parse(read('licenses.json')) as {
  lmid: string;
  licenses: {
    name: string;
    input: string;
    context: { now: string; product: string; highWaterTime?: string; knownSerial?: unknown };
    expect: { valid: boolean; status: string; code: string };
  }[];
};
// The fixture LM's key and host, as packages/core/test/fixtures/make-fixtures.ts made them.
const FIXTURE_SEED = sha256('tessera test fixture seed/', 'license manager key');
const FIXTURE_FINGERPRINT = 'fixture-host-machine-id';

// Left out, with reason: "an older serial than loaded" needs a newer copy that no fixture provides; and an LM
// takes online keys as well as offline ones, so "an online key" is not WRONG_KIND there (license-load tests).
const cases = licenses.filter((c) => !c.context.knownSerial && c.name !== 'an online key');

describe('core fixtures through the License Manager', () => {
  it('covers all but the two cases an LM answers differently by design', () => {
    expect(cases.length).toBe(licenses.length - 2);
  });

  it.each(cases)('$name → $expect.code', async (c) => {
    const world = makeWorld();
    writeFileSync(world.trustPath, read('trust-bundle.json'));
    mkdirSync(world.config.dataPath, { recursive: true });
    writeFileSync(join(world.config.dataPath, 'identity.key'), encodeBase64Url(FIXTURE_SEED) + '\n', { mode: 0o600 });
    // An identity without its seal is refused (a deleted seal); a provisioned one comes with an empty seal.
    writeSealedState(world.config.dataPath, EMPTY_SEALED_STATE, sealKey(FIXTURE_SEED));
    // The daemon records the time it starts at as seen; a later time set back would be CLOCK_TAMPERED.
    world.clock.set(Date.parse(c.context.highWaterTime ?? c.context.now));
    const lm = await start(world, { fingerprint: FIXTURE_FINGERPRINT });
    try {
      expect(lm.lmid).toBe(lmid);
      world.clock.set(Date.parse(c.context.now));
      const loaded = await admin(lm, '/v1/admin/load', { key: c.input });
      let got: object;
      if (loaded.status !== 200) {
        got = { valid: false, code: loaded.body.error.code };
      } else {
        // The LM checks the product when a node asks for a seat.
        const role = Object.keys(loaded.body.nodes)[0];
        const seat = await call(lm, 'POST', '/v1/seats/checkout', { product: c.context.product, role, nodeId: 'n1', instance: 'proc-1' });
        got =
          seat.status === 200
            ? { valid: true, status: loaded.body.status, code: loaded.body.code }
            : { valid: false, code: seat.body.error.code };
      }
      expect(got).toEqual(c.expect.valid ? c.expect : { valid: false, code: c.expect.code });
    } finally {
      await lm.close();
      world.cleanup();
    }
  });
});
