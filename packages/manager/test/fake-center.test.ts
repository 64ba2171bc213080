/** The fake LC answers as docs/sync-protocol.md says LC must: statuses, error bodies, time token reuse. */
import { afterEach, describe, expect, it } from 'vitest';
import { generateOnlineKey, openVendorDocument, parseTrustBundle, sealEnvelope } from '@tessera/core';
import { buildSyncRequest } from '@tessera/core';
import type { SyncRequestInput } from '@tessera/core';
import { makeTestLm, startFakeCenter } from './support/fake-center.js';
import type { FakeCenter } from './support/fake-center.js';

const lm = makeTestLm();
const onlineKey = generateOnlineKey();
let center: FakeCenter | null = null;
afterEach(async () => {
  await center?.close();
  center = null;
});

function request(known: SyncRequestInput['known'] = null): string {
  const input: SyncRequestInput = {
    onlineKey,
    lmid: lm.lmid,
    lmPublicKeyRaw: lm.lmPublicKeyRaw,
    hostDigest: lm.hostDigest,
    known,
    usage: {},
    lmVersion: '0.1.0',
    host: { hostname: 'h', os: 'linux' },
  };
  return buildSyncRequest(input, lm.privateKey);
}

async function post(body: string, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${center!.url}/v1/lm/sync`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const license = {
  id: 'lic_fake',
  serial: 1,
  product: 'guard',
  customer: { id: 'cus_1', name: 'Acme' },
  nodes: { enforcer: 2 },
  limits: { remote_clusters: 1 },
  features: ['scan'],
  issuedAt: '2026-01-01T00:00:00Z',
  startsAt: '2026-01-01T00:00:00Z',
  expiresAt: '2027-01-01T00:00:00Z',
  mode: 'online' as const,
  lmid: lm.lmid,
};

describe('fake License Center', () => {
  it.each([
    ['a body that is not JSON', '{', 'application/json'],
    ['JSON without "request"', '{"req":"x"}', 'application/json'],
    ['another content type', JSON.stringify({ request: 'x' }), 'text/plain'],
  ])('answers 400 BAD_REQUEST to %s, in the one error shape', async (_what, body, type) => {
    center = await startFakeCenter();
    const { status, json } = await post(body, type);
    expect(status).toBe(400);
    expect(json).toEqual({ error: { code: 'BAD_REQUEST', message: expect.any(String), requestId: expect.stringMatching(/^req_/) } });
  });

  it('answers 401 to a forged request and 400 to a malformed one, recording neither', async () => {
    center = await startFakeCenter();
    const forged = sealEnvelope('sync', { kid: lm.lmid, privateKey: makeTestLm().privateKey }, JSON.parse(payloadJson(request())));
    expect(await post(JSON.stringify({ request: forged }))).toMatchObject({ status: 401, json: { error: { code: 'SIGNATURE_INVALID' } } });
    expect(await post(JSON.stringify({ request: 'tessera-sync:3' }))).toMatchObject({
      status: 400,
      json: { error: { code: 'MALFORMED' } },
    });
    expect(center.requests).toHaveLength(0);
  });

  it('reuses one time token for 60 s, then signs a new one', async () => {
    let now = Date.UTC(2026, 3, 1, 8, 0, 0);
    center = await startFakeCenter({ now: () => now });
    center.addLicense(onlineKey, license);
    const trust = parseTrustBundle(center.trustBundleJson);
    if (!trust.ok) throw new Error(trust.detail);
    const first = (await post(JSON.stringify({ request: request() }))).json;
    now += 59_999;
    const unchanged = (await post(JSON.stringify({ request: request({ licenseId: 'lic_fake', serial: 1 }) }))).json;
    expect(unchanged).toEqual({ changed: false, time: first.time, trust: center.bundleText });
    now += 1;
    const later = (await post(JSON.stringify({ request: request({ licenseId: 'lic_fake', serial: 1 }) }))).json;
    const opened = openVendorDocument(later.time, 'sync', trust.value);
    expect(opened.ok && opened.value.payload.lcTime).toBe('2026-04-01T08:01:00.000Z');
  });
});

function payloadJson(text: string): string {
  const {
    v: _v,
    kid: _kid,
    typ: _typ,
    ...body
  } = JSON.parse(Buffer.from(text.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  return JSON.stringify(body);
}
