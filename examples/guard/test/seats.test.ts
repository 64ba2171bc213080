/** Enforcers hold seats: as many connect as the license has enforcer seats, and each is counted once. */
import { hostname } from 'node:os';
import { connect } from '@tessera/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../../packages/manager/test/support/world.js';
import { HOST_PATTERN } from '../src/index.js';
import { CHILDREN, getJson, loadGuardLicense, pageText, Programs, send, startLm, waitUntil } from './support/guard.js';
import type { Lm } from './support/guard.js';

let lm: Lm;
let controllerUrl: string;
const programs = new Programs();

const managedNodes = async () => (await getJson(controllerUrl + '/api/status')).managedNodes as number;
const lmLeases = async () => (await call(lm.daemon, 'GET', '/v1/usage')).body.leases as { nodeId: string }[];

beforeEach(async () => {
  lm = await startLm();
  await loadGuardLicense(lm, { nodes: { enforcer: 2 } });
  controllerUrl = (await programs.startController(lm)).url;
});
afterEach(async () => {
  await programs.killAll();
  await lm.close();
});

describe('with a license for 2 enforcers', CHILDREN, () => {
  it('connects two, refuses a third (exit 3, TOO_MANY_NODES), and counts 2', async () => {
    const a = programs.enforcer(lm, controllerUrl, 'node-a');
    const b = programs.enforcer(lm, controllerUrl, 'node-b');
    await a.waitFor('stdout', new RegExp(`^guard enforcer node-a connected to ${controllerUrl}$`, 'm'));
    await b.waitFor('stdout', /^guard enforcer node-b connected to /m);

    const c = programs.enforcer(lm, controllerUrl, 'node-c');
    expect(await c.exited).toBe(3);
    expect(c.stderr()).toMatch(/^guard: enforcer node-c cannot connect: .+ \[TOO_MANY_NODES\]\n$/);

    const status = await getJson(controllerUrl + '/api/status');
    expect(status.managedNodes).toBe(2);
    expect(status.enforcers.map((e: any) => e.nodeId)).toEqual(['node-a', 'node-b']);
    // Each enforcer reports its host name for the status page (none when it would not fit).
    expect(status.enforcers[0].host).toBe(HOST_PATTERN.test(hostname()) ? hostname() : null);
    expect(status.banner).toBeNull();
    expect(status.license).toMatchObject({ licensed: true, status: 'Normal', enforcerSeats: 2 });
    const { html, text } = await pageText(controllerUrl);
    expect(html).not.toContain('class="banner');
    expect(text).toContain('Managed node count: 2 of 2 enforcer seats licensed');
    expect(text).toMatch(/node-a .* node-b/);
  });

  it('on SIGTERM an enforcer leaves the controller and releases its seat, so another can connect', async () => {
    const a = programs.enforcer(lm, controllerUrl, 'node-a');
    const b = programs.enforcer(lm, controllerUrl, 'node-b');
    await a.waitFor('stdout', /connected to/);
    await b.waitFor('stdout', /connected to/);

    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await managedNodes()).toBe(1);
    expect((await lmLeases()).map((l) => l.nodeId)).toEqual(['node-b']);

    const c = programs.enforcer(lm, controllerUrl, 'node-c');
    await c.waitFor('stdout', /^guard enforcer node-c connected to /m);
    expect(await managedNodes()).toBe(2);
  });

  it('drops an enforcer that was killed and stopped heartbeating', async () => {
    const a = programs.enforcer(lm, controllerUrl, 'node-a');
    const b = programs.enforcer(lm, controllerUrl, 'node-b');
    await a.waitFor('stdout', /connected to/);
    await b.waitFor('stdout', /connected to/);
    a.child.kill('SIGKILL');
    await waitUntil(async () => (await managedNodes()) === 1, 'the killed enforcer to be dropped');
    expect((await getJson(controllerUrl + '/api/status')).enforcers.map((e: any) => e.nodeId)).toEqual(['node-b']);
  });
});

describe('a controller that restarts', CHILDREN, () => {
  it('gets its enforcers back: they register again when it answers, keeping their seats', async () => {
    const a = programs.enforcer(lm, controllerUrl, 'node-a');
    await a.waitFor('stdout', /connected to/);
    const [old] = programs.controllers();
    old!.child.kill('SIGTERM');
    expect(await old!.exited).toBe(0);
    await a.waitFor('stderr', /cannot heartbeat to the controller at .+ it cannot be reached/);

    const port = new URL(controllerUrl).port;
    const again = await programs.startController(lm, ['--port', port]);
    expect(again.url).toBe(controllerUrl);
    await waitUntil(async () => (await managedNodes()) === 1, 'the enforcer to register with the new controller');
    expect(a.stdout().match(/connected to/g)!.length).toBeGreaterThanOrEqual(2);
    expect((await lmLeases()).map((l) => l.nodeId)).toEqual(['node-a']);
  });
});

describe('enforcer registration security', CHILDREN, () => {
  it('accepts only the signed token of a guard enforcer seat of the very node that registers', async () => {
    await loadGuardLicense(lm, { serial: 2, nodes: { enforcer: 2, scanner: 1 } });
    const a = programs.enforcer(lm, controllerUrl, 'node-a');
    await a.waitFor('stdout', /connected to/);
    const register = (nodeId: string, token: string) => send(controllerUrl + '/api/enforcers', 'POST', { nodeId, token });
    const seatOf = (lmAt: Lm, role: string, nodeId: string) => connect({ ...lmAt.sdk, url: lmAt.addr, product: 'guard', role, nodeId });
    // Real seats, taken through the SDK as any process on the network could: none of them is node-a's enforcer seat.
    const other = await startLm();
    await loadGuardLicense(other);
    const seats = [
      await seatOf(lm, 'enforcer', 'intruder'),
      await seatOf(lm, 'scanner', 'node-a'),
      await seatOf(other, 'enforcer', 'node-a'),
    ];
    try {
      const [intruder, scanner, elsewhere] = seats.map((seat) => seat.status().seat!.token);
      const anotherNode = await register('node-a', intruder!);
      expect([anotherNode.status, anotherNode.body.error.code]).toEqual([403, 'SEAT_MISMATCH']);
      expect(anotherNode.body.error.message).toMatch(/granted to another node, not to "node-a"/);
      const anotherRole = await register('node-a', scanner!);
      expect([anotherRole.status, anotherRole.body.error.code]).toEqual([403, 'SEAT_MISMATCH']);
      expect(anotherRole.body.error.message).toMatch(/role "scanner", not "enforcer"/);
      const anotherLm = await register('node-a', elsewhere!);
      expect([anotherLm.status, anotherLm.body.error.code]).toEqual([403, 'LEASE_TOKEN_INVALID']);
      const invented = await register('node-a', 'tessera-lease.made-up');
      expect([invented.status, invented.body.error.code]).toEqual([403, 'LEASE_TOKEN_INVALID']);
      const none = await send(controllerUrl + '/api/enforcers', 'POST', { nodeId: 'node-a' });
      expect([none.status, none.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    } finally {
      await Promise.all(seats.map((seat) => seat.close()));
      await other.close();
    }
    // node-a was never displaced: still the one managed node, never told to register again.
    expect((await getJson(controllerUrl + '/api/status')).enforcers.map((e: any) => e.nodeId)).toEqual(['node-a']);
    expect(a.stdout().match(/connected to/g)).toHaveLength(1);
    expect(a.stderr()).toBe('');
  });

  it('lets nobody heartbeat or remove an enforcer without its session', async () => {
    const a = programs.enforcer(lm, controllerUrl, 'node-a');
    await a.waitFor('stdout', /connected to/);
    const none = await send(controllerUrl + '/api/enforcers/node-a/heartbeat', 'POST');
    expect([none.status, none.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    const wrong = await send(controllerUrl + '/api/enforcers/node-a', 'DELETE', undefined, { authorization: 'Bearer not-the-session' });
    expect([wrong.status, wrong.body.error.code]).toEqual([404, 'NOT_REGISTERED']);
    expect(await managedNodes()).toBe(1);
  });

  it('answers bad registrations with BAD_REQUEST and a sentence', async () => {
    const cases: [unknown, RegExp][] = [
      [{ token: 'tok' }, /"nodeId" is missing/],
      [{ nodeId: 'node a', token: 'tok' }, /"nodeId" is missing or not a node id/],
      [{ nodeId: 'node-a' }, /"token" is missing/],
      [{ nodeId: 'node-a', token: 'two words' }, /"token" is missing or not the seat's lease token/],
      [{ nodeId: 'node-a', token: 'tok', host: '<b>' }, /"host" is missing or not a host name/],
      [[1, 2], /must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const answer = await send(controllerUrl + '/api/enforcers', 'POST', body);
      expect([answer.status, answer.body.error.code]).toEqual([400, 'BAD_REQUEST']);
      expect(answer.body.error.message).toMatch(message);
    }
    const notJson = await fetch(controllerUrl + '/api/enforcers', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect([notJson.status, ((await notJson.json()) as any).error.code]).toEqual([400, 'BAD_REQUEST']);
  });
});
