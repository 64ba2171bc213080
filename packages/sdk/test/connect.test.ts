import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, LicenseError } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { startLm, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';

let lm: TestLm;
const open: Connection[] = [];
async function node(nodeId: string, role = 'query', extra: object = {}): Promise<Connection> {
  const connection = await connect({ url: lm.url, product: 'graphdb', role, nodeId, ...extra });
  open.push(connection);
  return connection;
}

beforeEach(async () => {
  lm = await startLm();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await lm.cleanup();
});

describe('connect', () => {
  it('checks the license, takes a seat and reports features, limits and nodes', async () => {
    const connection = await node('q1');
    const state = connection.status();
    expect(state).toMatchObject({
      licensed: true,
      status: 'Normal',
      code: 'VALID',
      licenseId: 'lic_lmtest',
      serial: 1,
      features: ['scan'],
      limits: { remote_clusters: 2 },
      nodes: { query: 2, storage: 3 },
      seat: { leaseId: expect.stringMatching(/^lse_/) },
    });
    expect(state.message).toMatch(/graphdb node "q1" \(role query\) holds a seat/);
    expect(connection.isEnabled('scan')).toBe(true);
    expect(connection.isEnabled('federation')).toBe(false);
    expect(connection.limit('remote_clusters')).toBe(2);
    expect(connection.limit('other')).toBe(0);
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });
  });

  it('rejects a node beyond the role limit with TOO_MANY_NODES and a sentence naming it', async () => {
    await node('q1');
    await node('q2');
    const refused = await node('q3').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LicenseError);
    const error = refused as LicenseError;
    expect(error.code).toBe('TOO_MANY_NODES');
    expect(error.message).toMatch(/graphdb node "q3" \(role query\) has no seat .*All 2 "query" seats are taken/);
    expect(error.state).toMatchObject({ licensed: false, status: 'Normal', code: 'TOO_MANY_NODES', seat: null });
  });

  it('releases the seat on close, once however often it is called', async () => {
    const connection = await node('q1');
    await Promise.all([connection.close(), connection.close()]);
    await connection.close();
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
    expect(connection.status()).toMatchObject({ licensed: false, seat: null });
    expect(connection.isEnabled('scan')).toBe(false);
  });
});
