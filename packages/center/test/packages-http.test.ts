/**
 * Installation packages, the staff side, over real HTTP on each dialect: a streamed upload is stored under its
 * package id with the size and SHA-256 of the bytes sent; duplicates, bad names, unknown products, empty and too
 * large bodies are refused with stable codes; a refused or cut-off upload leaves neither file nor row; roles;
 * withdrawing removes the file and frees the slot. Downloads are package-downloads-http.test.ts's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { staffWorld, startTestCenter } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';
import { waitFor } from './support/processes.js';
import { MiB, openUpload, upload } from './support/uploads.js';
import type { PackageQuery, RawAnswer } from './support/uploads.js';

const LIMIT = 4 * MiB;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const query = (more: Partial<PackageQuery> = {}): PackageQuery => ({
  product: 'graphdb',
  version: '2.4.1',
  platform: 'linux-amd64',
  filename: 'graphdb-2.4.1-linux-amd64.tar.gz',
  ...more,
});

function expectRefusal(answer: RawAnswer, status: number, code: string, message?: RegExp): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  expect(answer.body.error.requestId).toBe(answer.headers['x-request-id']);
  if (message) expect(answer.body.error.message).toMatch(message);
}

describe.each(DIALECTS)('installation packages, staff side, on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;
  let dir: string;
  let salesId: string;
  const send = (
    client: StaffWorld['admin'] | null,
    q: Partial<PackageQuery>,
    bytes: Buffer,
    options?: { declare?: boolean; contentType?: string },
  ) => upload(tc.center.url, client, q, bytes, options);
  const files = () => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const listed = async () => ((await world.support.get('/v1/staff/packages')).body.items as { id: string }[]).map((p) => p.id);

  beforeAll(async () => {
    tc = await startTestCenter(dialect, { TESSERA_PACKAGE_MAX_BYTES: String(LIMIT) });
    world = await staffWorld(tc);
    dir = tc.center.services.config.packages.dir;
    salesId = (
      await tc.center.services.db.selectFrom('users').select('id').where('email', '=', 'sales@vendor.example').executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('stores a streamed upload under its id with the size and SHA-256 of the bytes sent, lists it newest first and audits it', async () => {
    const bytes = randomBytes(3 * MiB);
    const first = await send(world.sales, query(), bytes);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      package: {
        id: expect.stringMatching(/^pkg_[a-z0-9]{20}$/),
        product: 'graphdb',
        version: '2.4.1',
        platform: 'linux-amd64',
        filename: 'graphdb-2.4.1-linux-amd64.tar.gz',
        size: bytes.length,
        sha256: sha256(bytes),
        uploadedAt: tc.clock.t,
        uploadedBy: salesId,
      },
    });
    const id = first.body.package.id as string;
    // Named by its id, never by the uploader's filename; no temporary file left.
    expect(files()).toEqual([id]);
    expect(readFileSync(join(dir, id)).equals(bytes)).toBe(true);

    tc.clock.t += 1000;
    const small = randomBytes(100_000);
    const second = await send(world.admin, query({ platform: 'windows-x64', filename: 'graphdb-2.4.1.zip' }), small, { declare: true });
    expect(second.status).toBe(201);
    expect(second.body.package).toMatchObject({ size: small.length, sha256: sha256(small), platform: 'windows-x64' });

    for (const path of ['/v1/staff/packages', '/v1/staff/packages?product=graphdb']) {
      const list = await world.support.get(path);
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([second.body.package, first.body.package]);
    }
    const unknown = await world.support.get('/v1/staff/packages?product=nope');
    expect({ status: unknown.status, code: unknown.body.error.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await world.audited(id)).toEqual([
      {
        action: 'package.uploaded',
        product: 'graphdb',
        version: '2.4.1',
        platform: 'linux-amd64',
        filename: 'graphdb-2.4.1-linux-amd64.tar.gz',
        size: bytes.length,
        sha256: sha256(bytes),
      },
    ]);
  });

  it('refuses a second upload of the same product, version and platform, bad names, unknown products and empty bodies', async () => {
    const before = { files: files(), listed: await listed() };
    const bytes = randomBytes(10_000);
    expectRefusal(await send(world.sales, query(), bytes), 409, 'PACKAGE_EXISTS', /graphdb 2\.4\.1 for linux-amd64 is uploaded already/);
    expectRefusal(await send(world.sales, query({ filename: '../../etc/passwd' }), bytes), 400, 'BAD_REQUEST', /plain file name/);
    expectRefusal(await send(world.sales, query({ filename: 'dir\\graphdb.tgz' }), bytes), 400, 'BAD_REQUEST', /plain file name/);
    expectRefusal(await send(world.sales, query({ filename: '.hidden' }), bytes), 400, 'BAD_REQUEST', /filename must be/);
    expectRefusal(await send(world.sales, query({ version: '2.5 beta' }), bytes), 400, 'BAD_REQUEST', /version must be/);
    expectRefusal(await send(world.sales, query({ platform: 'linux/amd64' }), bytes), 400, 'BAD_REQUEST', /platform must be/);
    expectRefusal(await send(world.sales, query({ product: 'nope' }), bytes), 404, 'NOT_FOUND', /no product nope/);
    const { filename: _left, ...withoutFilename } = query();
    expectRefusal(await send(world.sales, withoutFilename, bytes), 400, 'BAD_REQUEST', /filename/);
    expectRefusal(
      await send(world.sales, query({ version: '3.0.0' }), Buffer.alloc(0), { declare: true }),
      400,
      'BAD_REQUEST',
      /body is empty/,
    );
    expectRefusal(await send(world.sales, query({ version: '3.0.0' }), Buffer.alloc(0)), 400, 'BAD_REQUEST', /body is empty/);
    expectRefusal(
      await send(world.sales, query({ version: '3.0.0' }), Buffer.from('{"file":"x"}'), { contentType: 'application/json' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      /application\/octet-stream/,
    );
    expect({ files: files(), listed: await listed() }).toEqual(before);
  });

  it('refuses a package over TESSERA_PACKAGE_MAX_BYTES with 413, whether its size is declared or only counted', async () => {
    const before = { files: files(), listed: await listed() };
    const big = randomBytes(LIMIT + 1);
    expectRefusal(
      await send(world.sales, query({ version: '9.0.0' }), big, { declare: true }),
      413,
      'PAYLOAD_TOO_LARGE',
      /at most 4194304 bytes/,
    );
    expectRefusal(await send(world.sales, query({ version: '9.0.0' }), big), 413, 'PAYLOAD_TOO_LARGE', /TESSERA_PACKAGE_MAX_BYTES/);
    expect({ files: files(), listed: await listed() }).toEqual(before);
    // Exactly the limit is accepted.
    const fits = await send(world.sales, query({ version: '9.0.0' }), big.subarray(0, LIMIT));
    expect(fits.status).toBe(201);
    expect(fits.body.package.sha256).toBe(sha256(big.subarray(0, LIMIT)));
  });

  it('keeps neither file nor row of an upload cut off mid-body', async () => {
    const before = { files: files(), listed: await listed() };
    const { request, answer } = openUpload(tc.center.url, world.sales, query({ version: '4.0.0' }), { contentLength: 3 * MiB });
    answer.catch(() => undefined); // the request is destroyed: no answer comes
    request.write(randomBytes(MiB));
    // The server has begun writing its temporary file when the connection breaks.
    await waitFor('the upload to reach the folder', async () => files().some((f) => f.startsWith('.incoming-')), 10_000);
    request.destroy();
    await waitFor('the temporary file to go', async () => !files().some((f) => f.startsWith('.incoming-')), 10_000);
    expect({ files: files(), listed: await listed() }).toEqual(before);
    // The same package uploads normally afterwards.
    expect((await send(world.sales, query({ version: '4.0.0' }), randomBytes(1000))).status).toBe(201);
  });

  it('lets admin and sales upload and only admin withdraw; support and customers get 404, no login 401', async () => {
    const bytes = randomBytes(1000);
    expectRefusal(await send(world.support, query({ version: '5.0.0' }), bytes), 404, 'NOT_FOUND');
    expectRefusal(await send(world.customer, query({ version: '5.0.0' }), bytes), 404, 'NOT_FOUND');
    expectRefusal(await send(null, query({ version: '5.0.0' }), bytes), 401, 'UNAUTHORIZED');
    const id = (await listed())[0]!;
    for (const client of [world.sales, world.support, world.customer]) {
      const refused = await client.delete(`/v1/staff/packages/${id}`);
      expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    }
    expect((await world.customer.get('/v1/staff/packages')).status).toBe(404);
    expect(await listed()).toContain(id);
  });

  it('withdraws a package: out of the list and the folder, audited; the same version may then be uploaded again', async () => {
    const first = (
      (await world.support.get('/v1/staff/packages?product=graphdb')).body.items as { id: string; version: string; platform: string }[]
    ).find((p) => p.version === '2.4.1' && p.platform === 'linux-amd64')!;
    tc.clock.t += 1000;
    const withdrawn = await world.admin.delete(`/v1/staff/packages/${first.id}`);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.package).toEqual({ ...first, withdrawnAt: tc.clock.t });
    expect(files()).not.toContain(first.id);
    expect(await listed()).not.toContain(first.id);
    expect((await world.audited(first.id))[0]).toMatchObject({ action: 'package.withdrawn', version: '2.4.1', platform: 'linux-amd64' });
    const again = await world.admin.delete(`/v1/staff/packages/${first.id}`);
    expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    const replaced = await send(world.sales, query(), randomBytes(2000));
    expect(replaced.status).toBe(201);
    expect(replaced.body.package.id).not.toBe(first.id);
  });

  it('withdraws a package whose file cannot be removed: the answer says withdrawn, and it is no longer offered', async () => {
    const made = await send(world.admin, query({ version: '9.9.9' }), randomBytes(1000));
    expect(made.status).toBe(201);
    const id = made.body.package.id as string;
    // Make the file impossible to unlink: a folder with something in it now stands where the file was.
    rmSync(join(dir, id));
    mkdirSync(join(dir, id, 'busy'), { recursive: true });
    const withdrawn = await world.admin.delete(`/v1/staff/packages/${id}`);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.package).toMatchObject({ id, withdrawnAt: tc.clock.t });
    expect(await listed()).not.toContain(id);
    rmSync(join(dir, id), { recursive: true, force: true });
  });
});
