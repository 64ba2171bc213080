/** A running node whose license lapses answers 503 with the license's code, and serves again once a new key is loaded. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, killAll, request, startLm, startNode, until } from './support/graphdb.js';
import type { Lm } from './support/graphdb.js';

let lm: Lm;
beforeAll(async () => {
  lm = await startLm();
});
afterAll(async () => {
  await killAll();
  await lm?.close();
});

describe('a license that lapses while nodes run', () => {
  it('turns data requests into 503 + the license code, logs it once, and recovers after a new key, data kept', async () => {
    await lm.load({ serial: 1 });
    const s1 = await startNode('storage', 's1', lm, ['--heartbeat_ms=200']);
    const q1 = await startNode('query', 'q1', lm, ['--heartbeat_ms=200', `--storage_addrs=${s1.url.replace('http://', '')}`]);
    const fetchK = () => request(`${q1.url}/query`, { method: 'POST', body: 'FETCH "k"' });
    expect((await request(`${s1.url}/kv/k`, { method: 'PUT', body: 'kept' })).status).toBe(200);

    const now = Date.now();
    await lm.load({
      serial: 2,
      issuedAt: new Date(now - 3 * DAY).toISOString(),
      startsAt: new Date(now - 3 * DAY).toISOString(),
      expiresAt: new Date(now - DAY).toISOString(),
      graceDays: 0,
    });
    const refused = await until(async () => {
      const answer = await request(`${s1.url}/kv/k`);
      return answer.status === 503 ? answer : undefined;
    }, 'the node to notice the lapse');
    expect(refused.body.error).toMatchObject({ code: 'EXPIRED', message: expect.any(String) });
    expect((await request(`${s1.url}/status`)).body).toMatchObject({ serving: false, license: { licensed: false, code: 'EXPIRED' } });
    const queryRefused = await until(async () => {
      const answer = await fetchK();
      return answer.status === 503 ? answer : undefined;
    }, 'the query node to notice the lapse');
    expect(queryRefused.body.error.code).toBe('EXPIRED');
    await until(() => (/lost its license seat/.test(s1.stderr) ? true : undefined), 'the lapse line');
    expect(s1.stderr).toMatch(
      /^graphdb storage node s1 lost its license seat: .* \[EXPIRED\]; data requests answer 503 until it is back$/m,
    );

    await lm.load({ serial: 3 });
    const served = await until(async () => {
      const answer = await request(`${s1.url}/kv/k`);
      return answer.status === 200 ? answer : undefined;
    }, 'the node to serve again');
    expect(served.body).toEqual({ key: 'k', value: 'kept' });
    const queried = await until(async () => {
      const answer = await fetchK();
      return answer.status === 200 ? answer : undefined;
    }, 'the query node to serve again');
    expect(queried.body.result).toEqual({ key: 'k', value: 'kept' });
    await until(() => (/holds its license seat again/.test(s1.stderr) ? true : undefined), 'the recovery line');
    expect(s1.stderr.match(/lost its license seat/g)).toHaveLength(1);
    expect((await lm.usage()).leases.map((l: any) => l.nodeId).sort()).toEqual(['q1', 's1']);
  });
});
