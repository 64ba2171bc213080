/**
 * Installation packages, the customer side, over real HTTP on each dialect: a customer sees their license's
 * product's packages, gets a signed link while the license is active, and downloads the exact bytes with plain
 * HTTP and no session; links expire (the app's clock), altered links are refused, another customer's license is
 * 404, suspended and expired licenses are refused, a withdrawn package's links stop working.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { staffWorld, startTestCenter } from './support/http.js';
import type { Answer, Client, StaffWorld, TestCenter } from './support/http.js';
import { MiB, upload } from './support/uploads.js';

const DAY = 86_400_000;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes);

describe.each(DIALECTS)('installation packages, customer side, on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;
  let licenseId: string;
  const pkg: Record<'linux' | 'windows' | 'guard', { id: string; bytes: Buffer }> = {} as never;
  let other: Client;

  /** The link's path and query, fetched at the test center's address (its public URL names port 0). */
  const fetchLink = (url: string, init?: RequestInit) => {
    const { pathname, search } = new URL(url);
    return fetch(`${tc.center.url}${pathname}${search}`, init);
  };
  const linkFor = (client: Client, license: string, packageId: string) => client.post(`/v1/licenses/${license}/packages/${packageId}/link`);
  const expectError = async (response: Response, status: number, code: string) => {
    const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
    expect({ status: response.status, code: body.error.code }).toEqual({ status, code });
    expect(body.error.requestId).toBe(response.headers.get('x-request-id'));
    return body.error.message;
  };
  const refused = (answer: Answer) => ({ status: answer.status, code: answer.body?.error?.code });

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    world = await staffWorld(tc);
    const guard = await world.admin.post('/v1/staff/products', { slug: 'guard', name: 'Guard', roles: ['enforcer'] });
    expect(guard.status).toBe(201);
    const put = async (product: string, platform: string, bytes: Buffer) => {
      tc.clock.t += 1000;
      const q = { product, version: '1.0.0', platform, filename: `${product}-1.0.0-${platform}.tar.gz` };
      const answer = await upload(tc.center.url, world.sales, q, bytes);
      expect(answer.status).toBe(201);
      return { id: answer.body.package.id as string, bytes };
    };
    pkg.linux = await put('graphdb', 'linux-amd64', randomBytes(2 * MiB));
    pkg.windows = await put('graphdb', 'windows-x64', randomBytes(10_000));
    pkg.guard = await put('guard', 'linux-amd64', randomBytes(10_000));
    const sold = await world.sales.post('/v1/staff/contracts', world.sale());
    expect(sold.status).toBe(201);
    licenseId = sold.body.license.id;
    other = (await tc.customer('ops@globex.example')).client;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it("lists the license's product's packages, newest first, downloadable while the license is active", async () => {
    const listed = await world.customer.get(`/v1/licenses/${licenseId}/packages`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [
        expect.objectContaining({ id: pkg.windows.id, product: 'graphdb', platform: 'windows-x64', size: 10_000 }),
        expect.objectContaining({
          id: pkg.linux.id,
          platform: 'linux-amd64',
          size: 2 * MiB,
          sha256: sha256(pkg.linux.bytes).digest('hex'),
        }),
      ],
      downloadable: true,
    });
    // Who uploaded is the vendor's business.
    expect(listed.body.items[0]).not.toHaveProperty('uploadedBy');
  });

  it('makes a signed link that downloads the exact bytes over plain HTTP without a session, with their digest', async () => {
    const made = await linkFor(world.customer, licenseId, pkg.linux.id);
    expect(made.status).toBe(200);
    expect(made.headers.get('cache-control')).toBe('no-store');
    const expires = Math.ceil((tc.clock.t + 15 * 60_000) / 1000);
    expect(made.body).toEqual({
      url: expect.stringMatching(
        new RegExp(`^${tc.center.services.config.publicUrl}/downloads/${pkg.linux.id}\\?expires=${expires}&sig=[A-Za-z0-9_-]{43}$`),
      ),
      expiresAt: expires * 1000,
    });
    const response = await fetchLink(made.body.url);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(pkg.linux.bytes)).toBe(true);
    expect(
      Object.fromEntries(
        ['content-length', 'content-disposition', 'cache-control', 'x-checksum-sha256', 'digest'].map((h) => [h, response.headers.get(h)]),
      ),
    ).toEqual({
      'content-length': String(2 * MiB),
      'content-disposition': 'attachment; filename="graphdb-1.0.0-linux-amd64.tar.gz"',
      'cache-control': 'private, no-store',
      'x-checksum-sha256': sha256(bytes).digest('hex'),
      digest: `sha-256=${sha256(bytes).digest('base64')}`,
    });
    // HEAD answers the same headers without the body.
    const head = await fetchLink(made.body.url, { method: 'HEAD' });
    expect({ status: head.status, length: head.headers.get('content-length') }).toEqual({ status: 200, length: String(2 * MiB) });
    expect((await world.audited(pkg.linux.id))[0]).toEqual({ action: 'package.link_made', licenseId, expiresAt: expires * 1000 });
    // The signature is a credential while the link lives: the log shows the request without it.
    const sig = new URL(made.body.url).searchParams.get('sig')!;
    expect(tc.log.some((line) => line.includes(`/downloads/${pkg.linux.id}?expires=${expires}&sig=[redacted]`))).toBe(true);
    expect(tc.log.filter((line) => line.includes(sig))).toEqual([]);
  });

  it('answers 410 LINK_EXPIRED once the link has lived its 15 minutes, and 403 LINK_INVALID for an altered link', async () => {
    const made = await linkFor(world.customer, licenseId, pkg.windows.id);
    const url = new URL(made.body.url);
    const sig = url.searchParams.get('sig')!;
    const expires = url.searchParams.get('expires')!;
    const start = tc.clock.t;
    tc.clock.t = start + 15 * 60_000 - 2000;
    expect((await fetchLink(made.body.url)).status).toBe(200);
    tc.clock.t = start + 15 * 60_000 + 1000;
    expect(await expectError(await fetchLink(made.body.url), 410, 'LINK_EXPIRED')).toMatch(/make a new one/);
    tc.clock.t = start;
    const path = (id: string, query: string) => `${tc.center.url}/downloads/${id}?${query}`;
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    for (const altered of [
      path(pkg.windows.id, `expires=${expires}&sig=${flipped}`),
      path(pkg.windows.id, `expires=${Number(expires) + 3600}&sig=${sig}`),
      path(pkg.linux.id, `expires=${expires}&sig=${sig}`),
      path(pkg.windows.id, `expires=${expires}`),
      path(pkg.windows.id, `expires=soon&sig=${sig}`),
    ]) {
      expect(await expectError(await fetch(altered), 403, 'LINK_INVALID')).toMatch(/not valid/);
    }
  });

  it("answers another customer's license, and a package of another product, as 404", async () => {
    for (const answer of [await other.get(`/v1/licenses/${licenseId}/packages`), await linkFor(other, licenseId, pkg.linux.id)]) {
      expect(refused(answer)).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(answer.body.error.message).toBe(`There is no license ${licenseId}.`);
    }
    expect(refused(await linkFor(world.customer, licenseId, pkg.guard.id))).toEqual({ status: 404, code: 'NOT_FOUND' });
    // Staff are not customers: the customer routes are not theirs.
    expect(refused(await world.admin.get(`/v1/licenses/${licenseId}/packages`))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect((await fetch(`${tc.center.url}/v1/licenses/${licenseId}/packages`)).status).toBe(401);
  });

  it('refuses links, and shows why, while the license is suspended or expired past its grace days', async () => {
    const suspended = await world.sales.post(`/v1/staff/licenses/${licenseId}/suspend`, { reason: 'unpaid invoice 4711' });
    expect(suspended.status).toBe(200);
    const listed = await world.customer.get(`/v1/licenses/${licenseId}/packages`);
    expect(listed.body).toMatchObject({
      downloadable: false,
      reason: { code: 'LICENSE_NOT_ACTIVE', message: expect.stringMatching(/is suspended/) },
    });
    expect(listed.body.items).toHaveLength(2);
    const link = await linkFor(world.customer, licenseId, pkg.linux.id);
    expect(refused(link)).toEqual({ status: 403, code: 'LICENSE_NOT_ACTIVE' });
    expect((await world.sales.post(`/v1/staff/licenses/${licenseId}/resume`, { reason: 'paid' })).status).toBe(200);
    expect((await world.customer.get(`/v1/licenses/${licenseId}/packages`)).body.downloadable).toBe(true);

    // A license that expired 20 days ago (14 grace days): expired; one that expired 2 days ago is in grace: allowed.
    const now = tc.clock.t;
    const licenseEnding = async (expiredDaysAgo: number) => {
      const created = await world.sales.post('/v1/staff/licenses', {
        customerId: world.customerId,
        productId: world.productId,
        nodes: { query: 1 },
        startsAt: now - 60 * DAY,
        expiresAt: now - expiredDaysAgo * DAY,
      });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    const expired = await licenseEnding(20);
    const expiredList = await world.customer.get(`/v1/licenses/${expired}/packages`);
    expect(expiredList.body).toMatchObject({
      downloadable: false,
      reason: { code: 'LICENSE_NOT_ACTIVE', message: expect.stringMatching(/expired on .* renew it/) },
    });
    expect(refused(await linkFor(world.customer, expired, pkg.linux.id))).toEqual({ status: 403, code: 'LICENSE_NOT_ACTIVE' });
    const inGrace = await licenseEnding(2);
    expect((await world.customer.get(`/v1/licenses/${inGrace}/packages`)).body.downloadable).toBe(true);
    expect((await linkFor(world.customer, inGrace, pkg.linux.id)).status).toBe(200);
  });

  it("stops a withdrawn package's links (404) and leaves it out of the customer's list", async () => {
    const made = await linkFor(world.customer, licenseId, pkg.windows.id);
    expect((await fetchLink(made.body.url, { method: 'HEAD' })).status).toBe(200);
    expect((await world.admin.delete(`/v1/staff/packages/${pkg.windows.id}`)).status).toBe(200);
    expect(await expectError(await fetchLink(made.body.url), 404, 'NOT_FOUND')).toMatch(/withdrawn/);
    const listed = await world.customer.get(`/v1/licenses/${licenseId}/packages`);
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([pkg.linux.id]);
    expect(refused(await linkFor(world.customer, licenseId, pkg.windows.id))).toEqual({ status: 404, code: 'NOT_FOUND' });
  });
});
