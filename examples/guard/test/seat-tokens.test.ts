/**
 * The controller's rules for seat tokens, driven step by step over its real HTTP API: the controller runs in
 * this process against a real License Manager whose leases last 5 seconds, and the enforcers' side is played by
 * real SDK connections (whose LicenseState.seat.token is what an enforcer sends). A registration may not
 * replace a live one unless it carries the same seat; a heartbeat must carry a fresh token of that seat; an
 * enforcer whose last verified token ran out is dropped.
 */
import { connect, watch } from '@tessera/sdk';
import type { Connection, LicenseWatch } from '@tessera/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startController } from '../src/controller/app.js';
import type { RunningController } from '../src/controller/app.js';
import { CHILDREN, getJson, loadGuardLicense, Programs, send, startLm, waitUntil } from './support/guard.js';
import type { Lm } from './support/guard.js';

const LEASE_SECONDS = 5;
/** Enforcers are told to heartbeat every 2 s and dropped after 6 s of silence: longer than a lease. */
const HEARTBEAT_MS = 2000;

let lm: Lm;
let license: LicenseWatch;
let controller: RunningController;
const logged: string[] = [];
const connections: Connection[] = [];

beforeAll(async () => {
  lm = await startLm(LEASE_SECONDS);
  await loadGuardLicense(lm, { nodes: { enforcer: 4 } });
  license = await watch({ ...lm.sdk, url: lm.addr, product: 'guard', pollMs: 200 });
  controller = await startController({
    license,
    lmUrls: [lm.daemon.url],
    root: [lm.sdk.root],
    host: '127.0.0.1',
    port: 0,
    timeoutMs: 2000,
    heartbeatMs: HEARTBEAT_MS,
    log: (line) => logged.push(line),
  });
});
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()));
});
afterAll(async () => {
  await controller?.close();
  await license?.close();
  await lm?.close();
});

/** A real seat of role enforcer for `nodeId`, as an enforcer process takes it. */
async function seat(nodeId: string): Promise<Connection> {
  const connection = await connect({ ...lm.sdk, url: lm.addr, product: 'guard', role: 'enforcer', nodeId });
  connections.push(connection);
  return connection;
}
const tokenOf = (connection: Connection) => connection.status().seat!.token;
const register = (nodeId: string, token: string) => send(controller.url + '/api/enforcers', 'POST', { nodeId, token });
const heartbeat = (nodeId: string, session: string, body: unknown) =>
  send(`${controller.url}/api/enforcers/${nodeId}/heartbeat`, 'POST', body, { authorization: `Bearer ${session}` });
const managed = async () => (await getJson(controller.url + '/api/status')).enforcers.map((e: any) => e.nodeId) as string[];

describe('registration', { timeout: 60_000 }, () => {
  it('with the same seat replaces the entry (a restart); with another seat only once the live one went quiet', async () => {
    const first = await seat('node-x');
    const one = await register('node-x', tokenOf(first));
    expect(one.status).toBe(201);
    const again = await register('node-x', tokenOf(first));
    expect([again.status, again.body.managedNodes]).toEqual([201, 1]);
    expect(again.body.session).not.toBe(one.body.session);
    expect((await heartbeat('node-x', one.body.session, { token: tokenOf(first) })).status).toBe(404);
    expect(await heartbeat('node-x', again.body.session, { token: tokenOf(first) })).toMatchObject({
      status: 200,
      body: { verified: true, managedNodes: 1 },
    });

    // The seat ends and the node id gets a new one, while the registration made with the old seat is still live.
    const firstLease = first.status().seat!.leaseId;
    await first.close();
    const second = await seat('node-x');
    expect(second.status().seat!.leaseId).not.toBe(firstLease);
    const refused = await register('node-x', tokenOf(second));
    expect([refused.status, refused.body.error.code]).toEqual([409, 'NODE_CONNECTED']);
    expect(refused.body.error.message).toMatch(/^Enforcer "node-x" is connected with another seat and heartbeating; /);
    expect(await managed()).toEqual(['node-x']);

    // Once the old registration's last token has run out (or it went silent), the new seat is accepted.
    await waitUntil(async () => (await register('node-x', tokenOf(second))).status === 201, 'the new seat to be accepted');
    expect(await managed()).toEqual(['node-x']);
    // Dropped by the sweep, or pushed out by the new seat once it went quiet: either way the log says why.
    expect(logged).toContainEqual(
      expect.stringMatching(/^guard controller: enforcer node-x dropped: (its seat token ran out|it went quiet)/),
    );
  });
});

describe('heartbeats', { timeout: 60_000 }, () => {
  it('must carry a token of the registered seat; a refused token drops the enforcer', async () => {
    const own = await seat('node-y');
    const other = await seat('node-z');
    const first = await register('node-y', tokenOf(own));
    expect(first.status).toBe(201);

    const noToken = await heartbeat('node-y', first.body.session, {});
    expect([noToken.status, noToken.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    const forged = await heartbeat('node-y', first.body.session, { token: 'tessera-lease.forged' });
    expect([forged.status, forged.body.error.code]).toEqual([403, 'LEASE_TOKEN_INVALID']);
    expect((await heartbeat('node-y', first.body.session, { token: tokenOf(own) })).status).toBe(404);
    expect(await managed()).not.toContain('node-y');
    expect(logged).toContainEqual(
      expect.stringMatching(/^guard controller: enforcer node-y dropped: its seat token was refused \[LEASE_TOKEN_INVALID\]/),
    );

    const second = await register('node-y', tokenOf(own));
    expect(second.status).toBe(201);
    const otherSeat = await heartbeat('node-y', second.body.session, { token: tokenOf(other) });
    expect([otherSeat.status, otherSeat.body.error.code]).toEqual([403, 'SEAT_MISMATCH']);
    expect(await managed()).not.toContain('node-y');
  });

  it('refuses a token that ran out, even one of the right seat: the enforcer must send the newest', async () => {
    const own = await seat('node-v');
    const oldToken = tokenOf(own);
    const registered = await register('node-v', oldToken);
    expect(registered.status).toBe(201);
    // The SDK renews the seat every third of the lease, each time with a fresh token; the old one runs out.
    let answer: Awaited<ReturnType<typeof heartbeat>> | null = null;
    await waitUntil(async () => {
      answer = await heartbeat('node-v', registered.body.session, { token: oldToken });
      return answer.status !== 200;
    }, 'the old token to run out');
    expect([answer!.status, answer!.body.error.code]).toEqual([403, 'SEAT_EXPIRED']);
    expect(answer!.body.error.message).toMatch(/ran out at .* by the controller's clock .*send the newest token/);
    expect(await managed()).not.toContain('node-v');
    // The newest token of the same seat is accepted again.
    expect(tokenOf(own)).not.toBe(oldToken);
    expect((await register('node-v', tokenOf(own))).status).toBe(201);
  });
});

describe('the sweep', { timeout: 60_000 }, () => {
  it('drops an enforcer whose last verified token ran out, before it would count as silent', async () => {
    const own = await seat('node-w');
    expect((await register('node-w', tokenOf(own))).status).toBe(201);
    await waitUntil(async () => !(await managed()).includes('node-w'), 'node-w to be dropped');
    expect(logged).toContainEqual(
      expect.stringMatching(/^guard controller: enforcer node-w dropped: its seat token ran out without a fresh one/),
    );
  });
});

describe('an enforcer program', CHILDREN, () => {
  const programs = new Programs();
  afterEach(() => programs.killAll());

  it('stays registered across several lease lifetimes: each heartbeat carries the newest token', async () => {
    const { program, url } = await programs.startController(lm);
    const enforcer = programs.enforcer(lm, url, 'node-p');
    await enforcer.waitFor('stdout', /^guard enforcer node-p connected to /m);
    const until = Date.now() + 3 * LEASE_SECONDS * 1000;
    while (Date.now() < until) {
      expect((await getJson(url + '/api/status')).enforcers.map((e: any) => e.nodeId)).toEqual(['node-p']);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(enforcer.stdout().match(/connected to/g)).toHaveLength(1);
    expect(enforcer.stderr()).toBe('');
    expect(program.stdout()).not.toMatch(/dropped/);
  });
});
