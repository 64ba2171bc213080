/** Enforcers hold seats: as many connect as the license has enforcer seats, and each is counted once. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../../packages/manager/test/support/world.js';
import { CHILDREN, getJson, loadGuardLicense, pageText, Programs, send, startLm, waitUntil } from './support/guard.js';
import type { Lm } from './support/guard.js';

let lm: Lm;
let controllerUrl: string;
const programs = new Programs();

const managedNodes = async () => (await getJson(controllerUrl + '/api/status')).managedNodes as number;
const lmLeases = async () => (await call(lm.daemon, 'GET', '/v1/usage')).body.leases as { leaseId: string; nodeId: string }[];

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
  it('accepts only a live guard enforcer seat held by the node that registers', async () => {
    await loadGuardLicense(lm, { serial: 2, nodes: { enforcer: 2, scanner: 1 } });
    const a = programs.enforcer(lm, controllerUrl, 'node-a');
    await a.waitFor('stdout', /connected to/);
    const [lease] = await lmLeases();

    const stolen = await send(controllerUrl + '/api/enforcers', 'POST', { nodeId: 'intruder', leaseId: lease!.leaseId });
    expect([stolen.status, stolen.body.error.code]).toEqual([403, 'SEAT_MISMATCH']);
    const invented = await send(controllerUrl + '/api/enforcers', 'POST', { nodeId: 'intruder', leaseId: 'lse_invented' });
    expect([invented.status, invented.body.error.code]).toEqual([403, 'SEAT_NOT_FOUND']);

    // A live seat of another role of the same product is not an enforcer seat.
    const other = await call(lm.daemon, 'POST', '/v1/seats/checkout', { product: 'guard', role: 'scanner', nodeId: 'intruder' });
    expect(other.status).toBe(200);
    const scanner = await send(controllerUrl + '/api/enforcers', 'POST', { nodeId: 'intruder', leaseId: other.body.leaseId });
    expect([scanner.status, scanner.body.error.code]).toEqual([403, 'SEAT_NOT_FOUND']);
    expect(await managedNodes()).toBe(1);
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
      [{ leaseId: 'lse_x' }, /"nodeId" is missing/],
      [{ nodeId: 'node a', leaseId: 'lse_x' }, /"nodeId" is missing or not a node id/],
      [{ nodeId: 'node-a' }, /"leaseId" is missing/],
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
