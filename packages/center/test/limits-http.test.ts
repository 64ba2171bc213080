/**
 * Request budgets over real HTTP: LM syncs per client address and per online key, key reads and download links
 * per user, each answered 429 RATE_LIMITED with Retry-After, each window reopening after a minute (the center's
 * clock); and TESSERA_TRUST_PROXY deciding whose X-Forwarded-For names the client.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { startTestCenter } from './support/http.js';
import type { Client, TestCenter } from './support/http.js';
import { makeLm, syncRequestOf } from './support/licensing.js';

const LIMITS = { TESSERA_SYNC_PER_ADDRESS: '6', TESSERA_SYNC_PER_KEY: '2', TESSERA_KEY_READS_PER_USER: '3' };

async function sync(tc: TestCenter, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${tc.center.url}/v1/lm/sync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
}

describe.each(DIALECTS)('request budgets on %s', (dialect) => {
  let tc: TestCenter;
  let customer: Client;
  let customerId: string;
  let licenseId: string;
  let request: string;

  beforeAll(async () => {
    tc = await startTestCenter(dialect, { ...LIMITS, TESSERA_TRUST_PROXY: '127.0.0.1' });
    const { services } = tc.center;
    ({ client: customer, customerId } = await tc.customer('ops@limits.example'));
    const product = await services.catalogue.createProduct(
      { slug: 'graphdb', name: 'Graph DB', roles: ['query'], limits: [], features: [] },
      'usr_test',
    );
    if (!product.ok) throw new Error(product.detail);
    const lm = makeLm();
    const now = tc.clock.now();
    const license = await services.licenses.createLicense(
      { customerId, productId: product.value.id, nodes: { query: 1 }, startsAt: now, expiresAt: now + 30 * 86_400_000, mode: 'online' },
      'usr_test',
    );
    if (!license.ok) throw new Error(license.detail);
    licenseId = license.value.id;
    await customer.post(`/v1/licenses/${licenseId}/bind`, { lmid: lm.lmid });
    const onlineKey = (await customer.get(`/v1/licenses/${licenseId}/key`)).body.key as string;
    request = syncRequestOf(lm, onlineKey);
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('limits key reads per user and reopens the window after a minute', async () => {
    tc.clock.t += 61_000;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await customer.get(`/v1/licenses/${licenseId}/key`));
    expect(statuses.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(statuses[3]!.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/key reads; wait \d+ s/) });
    expect(Number(statuses[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user of the same customer has a budget of its own.
    const colleague = await tc.customer(
      'colleague@limits.example',
      statuses[0]!.body && (await customer.get('/v1/auth/me')).body.user.customerId,
    );
    expect((await colleague.client.get(`/v1/licenses/${licenseId}/key`)).status).toBe(200);
    tc.clock.t += 61_000;
    expect((await customer.get(`/v1/licenses/${licenseId}/key`)).status).toBe(200);
  });

  it('limits download links per user, on a budget apart from key reads', async () => {
    const uploaded = await tc.center.services.packages.upload(
      { product: 'graphdb', version: '1.0.0', platform: 'linux-amd64', filename: 'graphdb.tgz' },
      Readable.from([Buffer.from('graphdb 1.0.0')]),
      null,
      'usr_test',
    );
    if (!uploaded.ok) throw new Error(uploaded.detail);
    tc.clock.t += 61_000;
    const links = [];
    for (let i = 0; i < 4; i++) links.push(await customer.post(`/v1/licenses/${licenseId}/packages/${uploaded.value.id}/link`));
    expect(links.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(links[3]!.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/download links; wait \d+ s/) });
    expect((await customer.get(`/v1/licenses/${licenseId}/key`)).status).toBe(200);
    tc.clock.t += 61_000;
    expect((await customer.post(`/v1/licenses/${licenseId}/packages/${uploaded.value.id}/link`)).status).toBe(200);
  });

  it('limits syncs per online key, before any license work, with Retry-After', async () => {
    tc.clock.t += 61_000;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await sync(tc, { request }, { 'x-forwarded-for': `10.0.0.${i + 1}` }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2]!.body.error).toMatchObject({ code: 'RATE_LIMITED', requestId: expect.stringMatching(/^req_/) });
    expect(Number(answers[2]!.retryAfter)).toBeGreaterThan(0);
    tc.clock.t += 61_000;
    expect((await sync(tc, { request })).status).toBe(200);
  });

  it('limits syncs per client address, taking it from X-Forwarded-For only from the trusted proxy', async () => {
    tc.clock.t += 61_000;
    const fromOne = [];
    for (let i = 0; i < 7; i++) fromOne.push((await sync(tc, { request: 'garbage' }, { 'x-forwarded-for': '203.0.113.7' })).status);
    // Bad requests count too: the budget is spent before the body is looked at.
    expect(fromOne).toEqual([400, 400, 400, 400, 400, 400, 429]);
    // Another client behind the same proxy is not affected.
    expect((await sync(tc, { request: 'garbage' }, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(400);
  });
});

describe('TESSERA_TRUST_PROXY unset', () => {
  it('ignores X-Forwarded-For, so a client cannot claim a fresh address per request', async () => {
    const tc = await startTestCenter('sqlite', LIMITS);
    try {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await sync(tc, { request: 'garbage' }, { 'x-forwarded-for': `198.51.100.${i}` })).status);
      expect(statuses.at(-1)).toBe(429);
      expect(statuses.slice(0, 6).every((s) => s === 400)).toBe(true);
    } finally {
      await tc.close();
    }
  });
});
