/** The database side: storage nodes keep data, a query node routes each key to the storage node its hash names. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageFor } from '../src/routing.js';
import { killAll, request, startLm, startNode } from './support/graphdb.js';
import type { Lm, ReadyNode } from './support/graphdb.js';

let lm: Lm;
let s1: ReadyNode;
let s2: ReadyNode;
let q1: ReadyNode;
let storageAddrs: string[];

beforeAll(async () => {
  lm = await startLm();
  await lm.load();
  s1 = await startNode('storage', 's1', lm);
  s2 = await startNode('storage', 's2', lm);
  storageAddrs = [s1.url, s2.url].map((url) => url.replace('http://', ''));
  q1 = await startNode('query', 'q1', lm, [`--storage_addrs=${storageAddrs.join(',')}`]);
});
afterAll(async () => {
  await killAll();
  await lm?.close();
});

const query = (text: string, init: RequestInit = {}) => request(`${q1.url}/query`, { method: 'POST', body: text, ...init });

describe('a query node in front of two storage nodes', () => {
  it('says it is ready with its role seats', () => {
    expect(q1.stdout).toMatch(/^graphdb query node q1 ready on http:\/\/127\.0\.0\.1:\d+ \(license Normal, query seats 2\)\n$/);
  });

  it('sends each key to the storage node its hash names, and only there', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `person:${i}`);
    for (const key of keys) {
      const answer = await query(`INSERT "${key}" "value of ${key}"`);
      expect(answer).toEqual({
        status: 200,
        body: { verb: 'INSERT', result: { key, inserted: true }, storage: storageFor(key, storageAddrs) },
      });
    }
    const byNode = new Map([
      [storageAddrs[0]!, s1],
      [storageAddrs[1]!, s2],
    ]);
    for (const key of keys) {
      const home = storageFor(key, storageAddrs);
      for (const [addr, node] of byNode) {
        const stored = await request(`${node.url}/kv/${encodeURIComponent(key)}`);
        expect(stored.status).toBe(addr === home ? 200 : 404);
      }
      expect(await query(`FETCH "${key}"`)).toEqual({
        status: 200,
        body: { verb: 'FETCH', result: { key, value: `value of ${key}` }, storage: home },
      });
    }
    // Twelve keys over two nodes: both hold some, so the routing really spreads.
    expect(new Set(keys.map((key) => storageFor(key, storageAddrs))).size).toBe(2);
    const counts = await Promise.all([s1, s2].map(async (node) => (await request(`${node.url}/status`)).body.storage.keys));
    expect(counts[0] + counts[1]).toBe(12);
  });

  it('takes the statement as JSON too, deletes, and answers a missing key with KEY_NOT_FOUND', async () => {
    const json = { headers: { 'content-type': 'application/json' } };
    expect((await query(JSON.stringify({ query: 'INSERT "gone" "soon"' }), json)).status).toBe(200);
    expect((await query('DELETE "gone"')).body.result).toEqual({ key: 'gone', deleted: true });
    const missing = await query('FETCH "gone"');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      code: 'KEY_NOT_FOUND',
      message: expect.stringMatching(/^Storage node .*: No value is stored under the key "gone"/),
    });
  });

  it('answers bad requests with a JSON error and a stable code', async () => {
    const bad = await query('MATCH (v) RETURN v');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'BAD_QUERY', message: expect.any(String), requestId: expect.stringMatching(/^req_/) });
    expect((await query('{"query": 1}', { headers: { 'content-type': 'application/json' } })).body.error.code).toBe('BAD_REQUEST');
    expect((await query('not json', { headers: { 'content-type': 'application/json' } })).body.error.code).toBe('BAD_REQUEST');
    expect((await request(`${q1.url}/query`)).body.error.code).toBe('METHOD_NOT_ALLOWED');
    expect((await request(`${q1.url}/nowhere`)).body.error.code).toBe('NOT_FOUND');
    expect((await request(`${s1.url}/kv/%E0%A4%A`)).body.error.code).toBe('BAD_KEY');
    const big = await request(`${s1.url}/kv/big`, { method: 'PUT', body: 'x'.repeat(1024 * 1024 + 1) }).catch(() => null);
    // The node may close the connection after answering; either way the value was not stored.
    if (big) expect(big).toMatchObject({ status: 413, body: { error: { code: 'BODY_TOO_LARGE' } } });
    expect((await request(`${s1.url}/kv/big`)).status).toBe(404);
  });
});

describe('a query node whose storage node is down', () => {
  it('answers 502 STORAGE_UNREACHABLE naming the node', async () => {
    const q2 = await startNode('query', 'q2', lm, ['--storage_addrs=127.0.0.1:9']);
    const answer = await request(`${q2.url}/query`, { method: 'POST', body: 'FETCH "k"' });
    expect(answer.status).toBe(502);
    expect(answer.body.error).toMatchObject({ code: 'STORAGE_UNREACHABLE', message: expect.stringContaining('127.0.0.1:9') });
  });
});
