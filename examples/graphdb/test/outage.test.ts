/**
 * graphdb nodes (real processes) through an outage of their License Manager, with a license whose outage grace is
 * 72 hours: past their lease they keep serving as Degraded, every answer says so in its headers and /status says
 * until when; a node started meanwhile is refused with a sentence; when the LM is back, all is normal. And with a
 * list of addresses, a node serves from the second when the first is silent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, nodeArgs, request, requestWithHeaders, spawnNode, startLm, startNode, until, VENDOR_ROOT } from './support/graphdb.js';
import type { Lm } from './support/graphdb.js';

const HOUR = 3_600_000;
let lm: Lm | null = null;
afterEach(async () => {
  await killAll();
  await lm?.close();
  lm = null;
});

describe('a License Manager that stops answering, grace 72 h', () => {
  it('leaves running nodes serving past their lease as Degraded, refuses a new node, and is normal once back', async () => {
    lm = await startLm(VENDOR_ROOT, 2); // 2-second leases, so the outage outlasts one quickly
    await lm.load({ outageGraceHours: 72 });
    const s1 = await startNode('storage', 's1', lm, ['--heartbeat_ms=200']);
    expect((await requestWithHeaders(`${s1.url}/kv/k`, { method: 'PUT', body: 'kept' })).license).toEqual({
      'x-license-status': 'Normal',
      'x-license-code': 'VALID',
    });

    await lm.stop();
    const degraded = await until(async () => {
      const status = (await request(`${s1.url}/status`)).body;
      return status.license.status === 'Degraded' ? status : undefined;
    }, 'the node to serve on its outage grace');
    expect(degraded).toMatchObject({ serving: true, license: { licensed: true, code: 'LM_UNREACHABLE', outageGraceHours: 72 } });
    const { since, graceEndsAt } = degraded.license.outage;
    expect(Date.parse(graceEndsAt) - Date.parse(since)).toBe(72 * HOUR);
    expect(Date.parse(degraded.seat.expiresAt)).toBeLessThan(Date.now()); // past its lease, still serving

    const served = await requestWithHeaders(`${s1.url}/kv/k`);
    expect(served).toMatchObject({ status: 200, body: { key: 'k', value: 'kept' } });
    expect(served.license).toEqual({
      'x-license-status': 'Degraded',
      'x-license-code': 'LM_UNREACHABLE',
      'x-license-grace-ends': graceEndsAt,
    });
    await until(() => (/keeps serving on the license's outage grace/.test(s1.stderr) ? true : undefined), 'the Degraded line');
    expect(s1.stderr).toMatch(
      /^graphdb storage node s1 cannot reach its License Manager and keeps serving on the license's outage grace, until \S+ at the latest: .* \[LM_UNREACHABLE\]$/m,
    );

    const s2 = spawnNode(nodeArgs('storage', 's2', lm));
    expect(await s2.exited).toBe(3);
    expect(s2.stderr).toMatch(
      /^graphdb: storage node s2 cannot start: The License Manager at .* cannot be reached .* holds no seat\..* \[LM_UNREACHABLE\]\n$/,
    );

    await lm.restart();
    await until(async () => ((await request(`${s1.url}/status`)).body.license.status === 'Normal' ? true : undefined), 'Normal again');
    const after = await requestWithHeaders(`${s1.url}/kv/k`);
    expect(after).toMatchObject({ status: 200, body: { value: 'kept' } });
    expect(after.license).toEqual({ 'x-license-status': 'Normal', 'x-license-code': 'VALID' });
    expect((await request(`${s1.url}/status`)).body.license.outage).toBeNull();
    expect(s1.stderr).not.toMatch(/lost its license seat/);
    expect((await lm.usage()).leases.map((l: { nodeId: string }) => l.nodeId)).toEqual(['s1']);
  });

  it('with a strict license (no grace), a node past its lease answers 503 LM_UNREACHABLE, as before', async () => {
    lm = await startLm(VENDOR_ROOT, 2);
    await lm.load();
    const s1 = await startNode('storage', 's1', lm, ['--heartbeat_ms=200']);
    await lm.stop();
    const refused = await until(async () => {
      const answer = await requestWithHeaders(`${s1.url}/kv/k`);
      return answer.status === 503 ? answer : undefined;
    }, 'the lease to run out');
    expect(refused.body.error.code).toBe('LM_UNREACHABLE');
    expect(refused.license).toEqual({ 'x-license-status': 'Unreachable', 'x-license-code': 'LM_UNREACHABLE' });
  });
});

describe('several License Manager addresses', () => {
  it('start and serve from the second when the first is silent', async () => {
    lm = await startLm();
    await lm.load();
    const s1 = await startNode('storage', 's1', lm, [`--license_manager_url=127.0.0.1:9,${lm.addr}`]);
    expect((await request(`${s1.url}/status`)).body).toMatchObject({ serving: true, license: { status: 'Normal' } });
    expect((await lm.usage()).leases.map((l: { nodeId: string }) => l.nodeId)).toEqual(['s1']);
  });
});
