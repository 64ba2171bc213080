/**
 * The controller's seat check keeps a token's good verdict: an enforcer's repeated heartbeats with the same token
 * cost no new request to the License Manager (shown by stopping the LM: the known token still verifies, a token
 * never seen cannot), while the token's expiry is still checked on every use and refusals are never kept.
 */
import { connect } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { SeatCheck } from '../src/controller/seat-check.js';
import { loadGuardLicense, startLm } from './support/guard.js';
import type { Lm } from './support/guard.js';

const connections: Connection[] = [];
let lm: Lm | null = null;
afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await lm?.close();
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
  const error = (await promise.then(
    () => null,
    (caught: unknown) => caught,
  )) as { code: string; status: number } | null;
  if (!error) throw new Error('expected a refusal');
  return { code: error.code, status: error.status };
}

describe('the seat check', { timeout: 60_000 }, () => {
  it('keeps a good verdict per token, still checks expiry, and never keeps a refusal', async () => {
    const running = (lm = await startLm());
    await loadGuardLicense(running);
    const take = async (nodeId: string) => {
      const connection = await connect({ ...running.sdk, url: running.addr, product: 'guard', role: 'enforcer', nodeId });
      connections.push(connection);
      return connection.status().seat!.token;
    };
    const known = await take('node-a');
    const unseen = await take('node-b');
    let now = Date.now();
    const check = new SeatCheck({ lmUrls: [running.daemon.url], root: [running.sdk.root], timeoutMs: 1000, now: () => now });

    const first = await check.verify(known, 'node-a');
    expect(first.leaseId).toMatch(/^lse_/);
    // A refusal is not kept: the wrong node is refused each time, and the token still verifies for its own node.
    expect(await refusal(check.verify(known, 'node-b'))).toEqual({ code: 'SEAT_MISMATCH', status: 403 });

    await running.close();
    lm = null;
    // The License Manager is gone: the known token's verdict is kept, a token never checked cannot be verified.
    expect(await check.verify(known, 'node-a')).toEqual(first);
    expect(await refusal(check.verify(unseen, 'node-b'))).toEqual({ code: 'LM_UNREACHABLE', status: 503 });
    // A kept verdict does not outlive its token: past the token's expiry it is SEAT_EXPIRED.
    now = first.expiresAt + 1;
    expect(await refusal(check.verify(known, 'node-a'))).toEqual({ code: 'SEAT_EXPIRED', status: 403 });
  });
});
