import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateOnlineKey, generateSigningKey, issueLicense, parseTrustBundle, sealEnvelope, serializeTrustBundle } from '@tessera/core';
import type { LicenseInput, SigningKey, TrustBundle } from '@tessera/core';
import { makeTestLm, startFakeCenter } from '../../test/support/fake-center.js';
import type { FakeCenter } from '../../test/support/fake-center.js';
import { CenterClient } from './client.js';
import type { SyncOutcome, SyncTrust } from './client.js';
import { makeTimeToken } from '@tessera/core';
import type { SyncRequestInput } from '@tessera/core';

const lm = makeTestLm('machine:client-test');
const onlineKey = generateOnlineKey();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function licenseInput(change: Partial<LicenseInput> = {}): LicenseInput {
  return {
    id: 'lic_sync1',
    serial: 1,
    product: 'graphdb',
    customer: { id: 'cus_acme', name: 'Acme' },
    nodes: { query: 3, storage: 5 },
    limits: {},
    features: ['scan'],
    issuedAt: '2026-01-01T00:00:00Z',
    startsAt: '2026-01-01T00:00:00Z',
    expiresAt: '2027-01-01T00:00:00Z',
    mode: 'online',
    lmid: lm.lmid,
    ...change,
  };
}

function syncInput(known: SyncRequestInput['known'] = null): SyncRequestInput {
  return {
    onlineKey,
    lmid: lm.lmid,
    lmPublicKeyRaw: lm.lmPublicKeyRaw,
    hostDigest: lm.hostDigest,
    known,
    usage: { query: 1 },
    lmVersion: '0.1.0',
    host: { hostname: 'db-1', os: 'linux x64' },
  };
}

function trustOf(...keys: SigningKey[]): SyncTrust {
  const trust = parseTrustBundle(
    serializeTrustBundle(keys.map((k) => ({ kid: k.kid, state: 'active' as const, publicKeyRaw: k.publicKeyRaw }))),
  );
  if (!trust.ok) throw new Error(trust.detail);
  return plainTrust(trust.value);
}

/** A v1 (plain) bundle as an LM without roots holds it: nothing to check a root-signed bundle with. */
function plainTrust(bundle: TrustBundle): SyncTrust {
  return { bundle, heldSerial: 0, check: () => null };
}

async function fake(options: Parameters<typeof startFakeCenter>[0] = {}): Promise<{ center: FakeCenter; client: CenterClient }> {
  const center = await startFakeCenter(options);
  cleanups.push(() => center.close());
  const trust = parseTrustBundle(center.trustBundleJson);
  if (!trust.ok) throw new Error(trust.detail);
  return { center, client: new CenterClient({ url: center.url, timeoutMs: 5_000, trust: plainTrust(trust.value) }) };
}

/** A stand-in LC answering whatever `answer` says, for answers the honest fake never gives. */
async function canned(answer: (res: ServerResponse, req: IncomingMessage) => void): Promise<string> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (res: ServerResponse) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Flips one character in the middle of the signature: the text stays well-formed, the signature breaks. */
function tamperSignature(text: string): string {
  const at = text.lastIndexOf('.') + 10;
  return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
}

function expectFailure(outcome: SyncOutcome, code: string, detail: RegExp): void {
  expect(outcome).toMatchObject({ ok: false, code });
  if (outcome.ok) return;
  expect(outcome.detail).toMatch(detail);
  expect(outcome.detail).not.toContain(onlineKey);
  expect(outcome.detail).not.toContain(onlineKey.replace(/-/g, ''));
}

describe('CenterClient against the fake License Center', () => {
  it('pulls the license, then hears "unchanged", then gets the newer serial after a change', async () => {
    const now = Date.UTC(2026, 5, 1, 12, 0, 0);
    const { center, client } = await fake({ now: () => now });
    center.addLicense(onlineKey, licenseInput());

    const first = await client.sync(syncInput(), lm.privateKey);
    expect(first).toMatchObject({ ok: true, changed: true, lcTime: now, license: { id: 'lic_sync1', serial: 1, lmid: lm.lmid } });

    const second = await client.sync(syncInput({ licenseId: 'lic_sync1', serial: 1 }), lm.privateKey);
    expect(second).toEqual({ ok: true, changed: false, lcTime: now });

    expect(center.update(onlineKey, { nodes: { query: 6, storage: 5 } })).toBe(2);
    const third = await client.sync(syncInput({ licenseId: 'lic_sync1', serial: 1 }), lm.privateKey);
    expect(third).toMatchObject({ ok: true, changed: true, license: { serial: 2, nodes: { query: 6, storage: 5 } } });

    expect(center.requests.map((r) => [r.lmid, r.onlineKey, r.known?.serial ?? null, r.usage])).toEqual([
      [lm.lmid, onlineKey, null, { query: 1 }],
      [lm.lmid, onlineKey, 1, { query: 1 }],
      [lm.lmid, onlineKey, 1, { query: 1 }],
    ]);
  });

  it('takes another license id even with a lower serial (the license was replaced)', async () => {
    const { center, client } = await fake();
    center.addLicense(onlineKey, licenseInput({ id: 'lic_renewed', serial: 1 }));
    const outcome = await client.sync(syncInput({ licenseId: 'lic_sync1', serial: 9 }), lm.privateKey);
    expect(outcome).toMatchObject({ ok: true, changed: true, license: { id: 'lic_renewed', serial: 1 } });
  });

  it('refuses an older serial of the license it holds (SUPERSEDED)', async () => {
    const { center, client } = await fake();
    center.addLicense(onlineKey, licenseInput({ serial: 3 }));
    const outcome = await client.sync(syncInput({ licenseId: 'lic_sync1', serial: 5 }), lm.privateKey);
    expectFailure(outcome, 'SUPERSEDED', /serial 3 .* holds serial 5/);
  });

  it('does not trust an answer signed by a vendor key outside its trust bundle', async () => {
    const center = await startFakeCenter();
    cleanups.push(() => center.close());
    center.addLicense(onlineKey, licenseInput());
    const client = new CenterClient({ url: center.url, timeoutMs: 5_000, trust: trustOf(generateSigningKey()) });
    expectFailure(
      await client.sync(syncInput(), lm.privateKey),
      'CENTER_UNREACHABLE',
      new RegExp(`does not trust \\(kid ${center.vendor.kid}\\)`),
    );
  });

  it('reports a license bound to another LMID as LMID_MISMATCH, with LC’s words', async () => {
    const { center, client } = await fake();
    center.addLicense(onlineKey, licenseInput({ lmid: makeTestLm().lmid }));
    expectFailure(
      await client.sync(syncInput(), lm.privateKey),
      'LMID_MISMATCH',
      /bound to another License Manager.*copied.*\(LMID_MISMATCH, request id req_/,
    );
  });

  it('reports a license not bound yet as SYNC_REFUSED, and syncs once it is bound', async () => {
    const { center, client } = await fake();
    center.addLicense(onlineKey, licenseInput({ lmid: '' }));
    expectFailure(await client.sync(syncInput(), lm.privateKey), 'SYNC_REFUSED', /not bound yet: bind LMID .* first/);
    center.update(onlineKey, { lmid: lm.lmid });
    expect(await client.sync(syncInput(), lm.privateKey)).toMatchObject({ ok: true, changed: true, license: { serial: 2 } });
  });

  it('reports an unknown online key as NOT_FOUND', async () => {
    const { client } = await fake();
    expectFailure(await client.sync(syncInput(), lm.privateKey), 'NOT_FOUND', /No license has this online key/);
  });

  it('treats LC down (503) as unreachable, and recovers when it is back', async () => {
    const { center, client } = await fake();
    center.addLicense(onlineKey, licenseInput());
    center.setDown(true);
    expectFailure(await client.sync(syncInput(), lm.privateKey), 'CENTER_UNREACHABLE', /HTTP 503: The License Center is down/);
    center.setDown(false);
    expect(await client.sync(syncInput(), lm.privateKey)).toMatchObject({ ok: true, changed: true });
  });

  it('refuses to build a request for an identity that is not its key, without a network call', async () => {
    const { center, client } = await fake();
    const outcome = await client.sync({ ...syncInput(), lmid: makeTestLm().lmid }, lm.privateKey);
    expectFailure(outcome, 'BAD_REQUEST', /does not derive/);
    expect(center.requests).toHaveLength(0);
  });
});

describe('CenterClient when LC cannot be reached', () => {
  it('reports a closed port as unreachable', async () => {
    const { center, client } = await fake();
    await center.close();
    expectFailure(await client.sync(syncInput(), lm.privateKey), 'CENTER_UNREACHABLE', /ECONNREFUSED/);
  });

  it('gives up after timeoutMs on a server that never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), silent.close(() => resolve()))));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const client = new CenterClient({ url: `http://127.0.0.1:${address.port}`, timeoutMs: 150, trust: trustOf(generateSigningKey()) });
    const started = performance.now();
    expectFailure(await client.sync(syncInput(), lm.privateKey), 'CENTER_UNREACHABLE', /did not answer within 150 ms/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('CenterClient with answers the honest fake never gives', () => {
  const vendor = generateSigningKey();
  const trust = trustOf(vendor);
  const time = makeTimeToken(Date.UTC(2026, 5, 1), vendor);
  const license = (change: Partial<LicenseInput> = {}) => {
    const text = issueLicense(licenseInput(change), vendor);
    if (!text.ok) throw new Error(text.detail);
    return text.value;
  };
  const timeToken = (body: Record<string, unknown>) => sealEnvelope('sync', vendor, body);
  const against = async (answer: Parameters<typeof canned>[0], known: SyncRequestInput['known'] = null) =>
    new CenterClient({ url: await canned(answer), timeoutMs: 5_000, trust }).sync(syncInput(known), lm.privateKey);

  it('accepts a well-formed answer (the stand-in itself is sound)', async () => {
    expect(await against(json(200, { changed: true, license: license(), time }))).toMatchObject({ ok: true, changed: true });
  });

  it('refuses the same serial again as SUPERSEDED', async () => {
    const outcome = await against(json(200, { changed: true, license: license({ serial: 2 }), time }), {
      licenseId: 'lic_sync1',
      serial: 2,
    });
    expectFailure(outcome, 'SUPERSEDED', /serial 2/);
  });

  it('refuses a license bound to another LMID in a "changed" answer', async () => {
    const outcome = await against(json(200, { changed: true, license: license({ lmid: makeTestLm().lmid }), time }));
    expectFailure(outcome, 'LMID_MISMATCH', /not applied/);
  });

  it.each([
    [
      'a tampered license',
      () => ({ changed: true, license: tamperSignature(license()), time }),
      /license in it .*signature does not match/,
    ],
    ['a tampered time token', () => ({ changed: false, time: tamperSignature(time) }), /time token .*signature does not match/],
    ['no time token', () => ({ changed: true, license: license() }), /time token cannot be trusted/],
    [
      'a time token about something else',
      () => ({ changed: false, time: timeToken({ msg: 'other', lcTime: '2026-06-01T00:00:00Z' }) }),
      /no valid lcTime/,
    ],
    [
      'a time token with a bad lcTime',
      () => ({ changed: false, time: timeToken({ msg: 'time', lcTime: 'yesterday' }) }),
      /no valid lcTime/,
    ],
    ['no "changed"', () => ({ license: license(), time }), /"changed" must be true or false/],
  ])('does not use an answer with %s', async (_what, answer, detail) => {
    expectFailure(await against(json(200, answer()), { licenseId: 'lic_sync1', serial: 1 }), 'CENTER_UNREACHABLE', detail);
  });

  it('does not use "unchanged" sent to an LM that holds nothing', async () => {
    expectFailure(await against(json(200, { changed: false, time })), 'CENTER_UNREACHABLE', /holds no license yet/);
  });

  it('does not use an answer that is not JSON (a proxy page)', async () => {
    const outcome = await against((res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in to Wi-Fi</html>'));
    expectFailure(outcome, 'CENTER_UNREACHABLE', /not a JSON object/);
  });

  it('does not follow a redirect with the online key', async () => {
    let followed = false;
    const elsewhere = await canned((res) => ((followed = true), json(200, { changed: false, time })(res)));
    const outcome = await against((res) => res.writeHead(307, { location: `${elsewhere}/v1/lm/sync` }).end());
    expectFailure(outcome, 'CENTER_UNREACHABLE', /redirected to http:\/\/127\.0\.0\.1:\d+\/v1\/lm\/sync/);
    expect(followed).toBe(false);
  });

  it('passes RATE_LIMITED through and calls any other 4xx SYNC_REFUSED', async () => {
    const limited = await against(
      json(429, { error: { code: 'RATE_LIMITED', message: 'Slow down.', requestId: 'req_1' } }, { 'retry-after': '60' }),
    );
    expectFailure(limited, 'RATE_LIMITED', /Slow down\. \(RATE_LIMITED, request id req_1\)/);
    const malformed = await against(json(400, { error: { code: 'MALFORMED', message: 'Bad field.', requestId: 'req_2' } }));
    expectFailure(malformed, 'SYNC_REFUSED', /Bad field\. \(MALFORMED/);
    // LMID_MISMATCH passes through only as the binding refusal (409), not as a 401 about the request itself.
    const forged = await against(json(401, { error: { code: 'LMID_MISMATCH', message: 'Does not derive.', requestId: 'req_3' } }));
    expectFailure(forged, 'SYNC_REFUSED', /Does not derive/);
    expectFailure(await against((res) => res.writeHead(403).end('no')), 'SYNC_REFUSED', /HTTP 403 without an explanation/);
  });

  it('never repeats the online key from LC’s message', async () => {
    const compact = onlineKey.replace(/-/g, '').toLowerCase();
    const outcome = await against(
      json(404, { error: { code: 'NOT_FOUND', message: `Key ${onlineKey} / ${compact} unknown.`, requestId: 'r' } }),
    );
    expectFailure(outcome, 'NOT_FOUND', new RegExp(`Key \\*{5}-\\*{5}-\\*{5}-\\*{5}-${onlineKey.slice(-5)} / \\*{5}`));
  });

  it('does not read an endless answer into memory', async () => {
    const outcome = await against((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('"' + 'x'.repeat(300 * 1024) + '"');
    });
    expectFailure(outcome, 'CENTER_UNREACHABLE', /larger than 262144 bytes/);
  });
});
