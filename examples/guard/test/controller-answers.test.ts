/**
 * An enforcer facing a controller that answers 2xx with a body it cannot use (null, not JSON, another shape):
 * the answer is a refusal with the code BAD_ANSWER, and the enforcer keeps running and retrying instead of
 * dying on an unhandled rejection. The "controller" here is a real HTTP server answering what the test sets.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BAD_ANSWER, ControllerClient } from '../src/enforcer/controller-client.js';
import { CHILDREN, loadGuardLicense, Programs, startLm, waitUntil } from './support/guard.js';
import type { Lm } from './support/guard.js';

let server: Server;
let url: string;
/** What the server answers next: status, body text. */
let answer: { status: number; body: string } = { status: 200, body: 'null' };
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the controller client', () => {
  const client = () => new ControllerClient(url, 5_000);

  it.each([
    ['null', 200, 'null'],
    ['an empty object', 201, '{}'],
    ['text that is not JSON', 201, 'welcome'],
    ['an array', 200, '[{"session":"s","heartbeatMs":1000}]'],
    ['a session that is not a string', 201, '{"session":7,"heartbeatMs":1000}'],
    ['no heartbeat interval', 201, '{"session":"abc"}'],
    ['an empty body', 204, ''],
  ])('turns a registration answered with %s into a BAD_ANSWER refusal', async (_what, status, body) => {
    answer = { status, body };
    const result = await client().register('node-a', 'a-seat-token', null);
    expect(result).toEqual({
      ok: false,
      reachable: true,
      status,
      code: BAD_ANSWER,
      message: `The controller answered HTTP ${status} with a body the enforcer cannot use; check that --controller names a guard controller.`,
    });
  });

  it('reads a well-formed registration, and a refusal with its code and sentence', async () => {
    answer = { status: 201, body: '{"nodeId":"node-a","session":"s3cr3t","heartbeatMs":1000,"managedNodes":1}' };
    expect(await client().register('node-a', 'a-seat-token', null)).toEqual({ ok: true, value: { session: 's3cr3t', heartbeatMs: 1000 } });
    answer = { status: 403, body: '{"error":{"code":"SEAT_NOT_FOUND","message":"No such seat."}}' };
    expect(await client().register('node-a', 'a-seat-token', null)).toEqual({
      ok: false,
      reachable: true,
      status: 403,
      code: 'SEAT_NOT_FOUND',
      message: 'No such seat.',
    });
    answer = { status: 502, body: 'null' };
    expect(await client().heartbeat('node-a', 's3cr3t', 'a-seat-token')).toMatchObject({ ok: false, status: 502, code: 'HTTP_502' });
  });
});

describe('an enforcer whose controller answers 200 with null', CHILDREN, () => {
  let lm: Lm;
  const programs = new Programs();
  afterEach(async () => {
    await programs.killAll();
    await lm?.close();
  });

  it('keeps running and retrying, says so once with BAD_ANSWER, and still stops cleanly', async () => {
    answer = { status: 200, body: 'null' };
    lm = await startLm();
    await loadGuardLicense(lm);
    const enforcer = programs.enforcer(lm, url, 'node-a');
    await enforcer.waitFor('stderr', /is not registered with the controller at .+: .+ \[BAD_ANSWER\]; retrying/);
    const registrations = () => seen.filter((line) => line === 'POST /api/enforcers').length;
    const before = registrations();
    // The enforcer retries every second; three more tries means it lived through several null answers.
    await waitUntil(() => registrations() >= before + 3, 'three more registration attempts');
    expect(enforcer.child.exitCode).toBeNull();
    expect(enforcer.stderr().match(/BAD_ANSWER/g)).toHaveLength(1);
    expect(enforcer.stderr()).not.toMatch(/unexpected|TypeError/);
    expect(enforcer.stdout()).toBe('');

    enforcer.child.kill('SIGTERM');
    expect(await enforcer.exited).toBe(0);
  });
});
