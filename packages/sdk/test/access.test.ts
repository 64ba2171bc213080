/**
 * A License Manager that guards its seat API: with a seat secret (seats.secret) the SDK sends it with every
 * request, and says what to do without it; over HTTPS the SDK trusts the certificate authority it is given (`ca`),
 * and says why it cannot connect without it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, LicenseError, verifySeat, watch } from '@tessera/sdk';
import type { ConnectOptions } from '@tessera/sdk';
import { recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { makeCertificates } from './support/tls.js';

const SECRET = 'seat-secret-of-the-customers-lm-0123';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lmWith(options: Parameters<typeof startLm>[0]): Promise<TestLm> {
  const lm = await startLm(options);
  cleanups.push(() => lm.cleanup());
  return lm;
}

async function rejection(options: ConnectOptions): Promise<LicenseError> {
  const outcome = await connect(options).then(
    async (connection) => {
      await connection.close();
      return null;
    },
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(LicenseError);
  return outcome as LicenseError;
}

describe('an LM with a seat secret', () => {
  const node = { product: 'graphdb', role: 'query', nodeId: 'q1' };

  it('refuses an SDK without it: connect() rejects UNAUTHORIZED saying to pass it, watch() and verifySeat() say so', async () => {
    const lm = await lmWith({ config: { seats: { secret: SECRET, checkoutsPerMinute: 600 } } });
    for (const secret of [undefined, 'not-the-seat-secret-of-this-lm']) {
      const error = await rejection({ ...lm.sdk, ...node, ...(secret ? { secret } : {}) });
      expect(error.code).toBe('UNAUTHORIZED');
      expect(error.message).toMatch(/needs its seat secret .*Pass the seat secret of the License Manager .* as the "secret" option/);
      expect(error.message).not.toContain(SECRET);
    }
    const live = await watch({ ...lm.sdk, product: 'graphdb' });
    cleanups.push(() => live.close());
    expect(live.status()).toMatchObject({ licensed: false, status: 'Invalid', code: 'UNAUTHORIZED' });
    const seat = await verifySeat({ ...lm.sdk, product: 'graphdb', token: 'tessera-lease:x' });
    expect(seat).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
  });

  it('serves an SDK that sends it with every request: license, checkout, heartbeats and release', async () => {
    const lm = await lmWith({ config: { seats: { secret: SECRET, checkoutsPerMinute: 600 } } });
    const connection = await connect({ ...lm.sdk, ...node, secret: SECRET, heartbeatMs: 50 });
    const changes = recordChanges(connection);
    const first = connection.status().seat!;
    lm.world.clock.advance(2000); // the LM signs a new token only as its time passes
    await until(() => connection.status().seat!.expiresAt !== first.expiresAt, 'a renewal by heartbeat');
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID' });
    const verdict = await verifySeat({ ...lm.sdk, product: 'graphdb', token: connection.status().seat!.token, secret: SECRET });
    expect(verdict).toMatchObject({ ok: true, nodeId: 'q1' });
    await connection.close();
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 }); // the release carried it too
    expect(changes).toEqual([]);

    const live = await watch({ ...lm.sdk, product: 'graphdb', secret: SECRET });
    cleanups.push(() => live.close());
    expect(live.status()).toMatchObject({ licensed: true, code: 'VALID' });
  });
});

describe('an LM serving HTTPS', () => {
  /** An LM that was given a license over HTTP, then restarted with its certificate: it answers only HTTPS. */
  async function httpsLm(): Promise<{ lm: TestLm; url: string; ca: string }> {
    const lm = await lmWith({});
    const { ca, cert, key } = makeCertificates(lm.world.dir);
    lm.world.config.tls = { cert, key };
    await lm.restart();
    const url = lm.daemon.url;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    return { lm, url, ca };
  }

  it('with the certificate authority given as ca: connect() holds a seat and watch() reads the license', async () => {
    const { lm, url, ca } = await httpsLm();
    const connection = await connect({ ...lm.sdk, url, ca, product: 'graphdb', role: 'storage', nodeId: 's1', heartbeatMs: 50 });
    cleanups.push(() => connection.close());
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID', seat: { leaseId: expect.stringMatching(/^lse_/) } });
    const first = connection.status().seat!.expiresAt;
    lm.world.clock.advance(2000);
    await until(() => connection.status().seat!.expiresAt !== first, 'a renewal over HTTPS');
    const live = await watch({ ...lm.sdk, url, ca, product: 'graphdb' });
    cleanups.push(() => live.close());
    expect(live.status()).toMatchObject({ licensed: true, code: 'VALID' });
    expect(await verifySeat({ ...lm.sdk, url, ca, product: 'graphdb', token: connection.status().seat!.token })).toMatchObject({
      ok: true,
    });
  });

  it('without it: LM_UNREACHABLE, saying the certificate is not trusted and to give its authority as ca', async () => {
    const { lm, url } = await httpsLm();
    const error = await rejection({ ...lm.sdk, url, product: 'graphdb', role: 'storage', nodeId: 's1' });
    expect(error.code).toBe('LM_UNREACHABLE');
    expect(error.message).toMatch(
      /its TLS certificate is not trusted \(\w+\): give the certificate authority that signed it as the "ca" option/,
    );
  });
});
