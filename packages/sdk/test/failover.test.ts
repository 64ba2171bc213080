/**
 * Several addresses of one License Manager (its replicas): a silent one hands the round to the next within the same
 * round, keeping the lease; the address that answered is asked first from then on. Until replicas sharing one
 * database exist (the LM's HA work), a replica is stood for by a second proxy to the same LM, and a silent address
 * by a closed port or a proxy that drops every request. An address answering as another LM is no replica.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, verifySeat, watch } from '@tessera/sdk';
import type { Connection, ConnectOptions } from '@tessera/sdk';
import { recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm, TestLmOptions } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';
import { TestTimers } from './support/timers.js';

const LICENSE = '/v1/license';
const HEARTBEAT = '/v1/seats/heartbeat';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lmWith(options: TestLmOptions = {}): Promise<TestLm> {
  const lm = await startLm(options);
  cleanups.push(() => lm.cleanup());
  return lm;
}

async function proxyTo(url: string): Promise<Proxy> {
  const proxy = await startProxy(url);
  cleanups.push(() => proxy.close());
  return proxy;
}

async function node(lm: TestLm, url: string[], change: Partial<ConnectOptions> = {}): Promise<Connection> {
  const connection = await connect({ ...lm.sdk, url, product: 'graphdb', role: 'query', nodeId: 'q1', timeoutMs: 1000, ...change });
  cleanups.push(() => connection.close());
  return connection;
}

/** An address where nothing listens: connections are refused at once. */
async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const seen = (proxy: Proxy, path: string) => proxy.seen[path] ?? 0;
const issuedAtOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).issuedAt as string;

describe('a list of addresses', () => {
  it('starts at the second when the first is closed: connect(), watch() and verifySeat() alike', async () => {
    const lm = await lmWith();
    const closed = await closedAddress();
    const connection = await node(lm, [closed, lm.url]);
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID' });
    expect(connection.status().message).toContain(`holds a seat at the License Manager at ${lm.url}`);

    const live = await watch({ ...lm.sdk, url: [closed, lm.url], product: 'graphdb' });
    cleanups.push(() => live.close());
    expect(live.status()).toMatchObject({ licensed: true, code: 'VALID' });

    const seat = await verifySeat({ ...lm.sdk, url: [closed, lm.url], product: 'graphdb', token: connection.status().seat!.token });
    expect(seat).toMatchObject({ ok: true, nodeId: 'q1' });
  });

  it('moves to the next replica within one round when the one in use goes silent, keeping its lease, without a change', async () => {
    // Long leases and heartbeats, so rounds run only when the test moves the SDK's timers.
    const lm = await lmWith({ ttlSeconds: 60 });
    const [first, second] = [await proxyTo(lm.url), await proxyTo(lm.url)];
    const timers = new TestTimers();
    const connection = await node(lm, [first.url, second.url], { heartbeatMs: 20_000, timers });
    const changes = recordChanges(connection);
    const { leaseId, token } = connection.status().seat!;
    expect(seat(second)).toEqual({ license: 0, heartbeat: 0 });

    first.down = true;
    lm.world.clock.advance(11_000); // past TTL/6: the next heartbeat brings a new token
    const tried = seen(first, LICENSE);
    timers.advance(20_000); // one heartbeat round
    await until(() => seen(second, HEARTBEAT) === 1, 'the heartbeat at the second address');
    await until(() => connection.status().seat!.token !== token, 'the renewal accepted');
    expect(seen(first, LICENSE)).toBe(tried + 1); // the first was asked once, in that same round
    expect(seat(second)).toEqual({ license: 1, heartbeat: 1 });
    expect(connection.status()).toMatchObject({ licensed: true, status: 'Normal', seat: { leaseId } });
    expect(issuedAtOf(connection.status().seat!.token) > issuedAtOf(token)).toBe(true);
    expect(connection.status().message).toContain(second.url);
    expect(changes).toEqual([]);
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });

    timers.advance(20_000); // the next round starts at the replica that answered: the silent one costs nothing more
    await until(() => seen(second, HEARTBEAT) === 2, 'the next heartbeat');
    expect(seen(first, LICENSE)).toBe(tried + 1);
  });

  it('releases the seat at the replica it moved to when closed', async () => {
    const lm = await lmWith({ ttlSeconds: 60 });
    const [first, second] = [await proxyTo(lm.url), await proxyTo(lm.url)];
    const timers = new TestTimers();
    const connection = await node(lm, [first.url, second.url], { heartbeatMs: 20_000, timers });
    first.down = true;
    timers.advance(20_000); // one round: the second answers the lease's last token again (it is young)
    await until(() => seen(second, HEARTBEAT) === 1, 'the heartbeat at the second address');
    await connection.close();
    expect(seen(second, '/v1/seats/release')).toBe(1);
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
  });

  it('skips an address answering as another LM while the seat is held: it is no replica, so its refusal ends nothing', async () => {
    const lm = await lmWith({ ttlSeconds: 5, license: { outageGraceHours: 72 } });
    const other = await lmWith({ license: null, world: { root: lm.world.root }, clock: lm.world.clock });
    const [first, second] = [await proxyTo(lm.url), await proxyTo(other.url)];
    const timers = new TestTimers();
    const connection = await node(lm, [first.url, second.url], { heartbeatMs: 50, timers });
    const changes = recordChanges(connection);
    first.down = true;
    await until(() => seen(second, LICENSE) > 2, 'rounds asking the other LM');
    timers.advance(5000); // the lease runs out: the outage grace begins
    await until(() => connection.status().status === 'Degraded', 'Degraded');
    expect(connection.status().message).toMatch(/not a replica/);
    expect(seen(second, '/v1/seats/checkout')).toBe(0);
    expect(changes.map((c) => c.state.status)).toEqual(['Degraded']);

    first.down = false; // the seat's LM answers again
    await until(() => connection.status().status === 'Normal', 'Normal');
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });
  });

  it('lets a node without a seat pass over an LM holding no license to a later address that grants one', async () => {
    const lm = await lmWith();
    const empty = await lmWith({ license: null, world: { root: lm.world.root }, clock: lm.world.clock });
    const connection = await node(lm, [empty.url, lm.url]);
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID' });
  });

  it('refuses a node when every address is silent, naming each', async () => {
    const lm = await lmWith();
    const [a, b] = [await closedAddress(), await closedAddress()];
    const error = await node(lm, [a, b]).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error).toMatchObject({ code: 'LM_UNREACHABLE' });
    expect(error!.message).toContain(
      `The License Manager at ${a} or ${b} cannot be reached (${a}: the connection failed (ECONNREFUSED); ${b}:`,
    );
  });
});

function seat(proxy: Proxy): { license: number; heartbeat: number } {
  return { license: seen(proxy, LICENSE), heartbeat: seen(proxy, HEARTBEAT) };
}
