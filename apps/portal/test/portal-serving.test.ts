/**
 * The License Center serves the built portal: index.html for every page path (deep links and the mailed links'
 * paths) with a strict content policy and no caching, hashed assets cached for a year with their content types,
 * API paths untouched (their JSON 404), and a page saying to build when the portal is missing.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_CSP } from '../../../packages/center/src/http/portal.js';
import { startTestCenter } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

const BUILT = new URL('../dist/', import.meta.url);

/** A GET with the raw body (fetch would undo the gzip this checks). */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers as Record<string, string>, body: Buffer.concat(chunks) }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('the portal served by the License Center', () => {
  let tc: TestCenter;
  let url: string;
  const index = readFileSync(new URL('index.html', BUILT), 'utf8');
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)![1]!;
  const style = /href="(\/assets\/[^"]+\.css)"/.exec(index)![1]!;

  beforeAll(async () => {
    tc = await startTestCenter('sqlite');
    url = tc.center.url;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('answers every page path with index.html, a strict content policy and no caching', async () => {
    for (const path of [
      '/',
      '/login',
      '/setup',
      '/activate',
      '/reset',
      '/login-link',
      '/licenses/lic_abc/bind',
      '/staff/customers',
      '/x?y=1',
    ]) {
      const response = await fetch(`${url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toBe(index);
    }
    // The page itself has nothing inline for the policy to refuse.
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=/);
    expect(PORTAL_CSP).not.toContain('unsafe');
  });

  it('serves the hashed assets for a year with their content types, gzipped when asked, and revalidates the page by ETag', async () => {
    const js = await rawGet(`${url}${script}`, { 'accept-encoding': 'gzip, br' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    // Buffer.equals: a deep equality over 250 kB byte by byte would take seconds.
    expect(gunzipSync(js.body).equals(readFileSync(new URL(`.${script}`, BUILT)))).toBe(true);
    const plain = await rawGet(`${url}${script}`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(readFileSync(new URL(`.${script}`, BUILT)))).toBe(true);

    const css = await fetch(`${url}${style}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe(readFileSync(new URL(`.${style}`, BUILT), 'utf8'));

    const first = await fetch(`${url}/`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    expect((await fetch(`${url}/licenses`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${url}/`, { method: 'HEAD' })).status).toBe(200);
  });

  it('leaves the API alone: unknown API paths and assets answer the JSON 404, other methods are not the portal’s', async () => {
    for (const path of ['/v1/nope', '/v1', '/assets/nope.js', '/docs/nope', '/metrics/nope']) {
      const response = await fetch(`${url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      const body = (await response.json()) as any;
      expect(body.error).toMatchObject({ code: 'NOT_FOUND', requestId: expect.stringMatching(/^req_/) });
    }
    expect((await fetch(`${url}/login`, { method: 'POST' })).status).toBe(404);
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${url}/docs`)).headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const api = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    // Outside /v1 only the health check, the metrics (for allowed addresses) and the signed download links, which
    // work without a login (curl -O).
    const outside = new Set(['/health', '/metrics', '/downloads/{packageId}']);
    expect(Object.keys(api.paths).filter((path) => !path.startsWith('/v1/') && !outside.has(path))).toEqual([]);
    // A download link that is not one answers in JSON, never with the portal's page.
    const download = await fetch(`${url}/downloads/pkg_nope`);
    expect(download.headers.get('content-type')).toMatch(/^application\/json/);
    expect(download.status).toBeGreaterThanOrEqual(400);
  });
});

describe('the portal folder', () => {
  const dirs: string[] = [];
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-portal-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('when it is missing, the page paths say to run npm run build and the API still works', async () => {
    const tc = await startTestCenter('sqlite', { TESSERA_PORTAL_DIR: folder() });
    try {
      for (const path of ['/', '/licenses']) {
        const response = await fetch(`${tc.center.url}${path}`);
        expect(response.status).toBe(503);
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(response.headers.get('content-security-policy')).toBe(PORTAL_CSP);
        expect(await response.text()).toMatch(/The web portal is not built\. Run <code>npm run build<\/code>/);
      }
      expect((await fetch(`${tc.center.url}/health`)).status).toBe(200);
      expect(tc.log.join('')).toMatch(/the portal is not built: run \\"npm run build\\"/);
    } finally {
      await tc.close();
    }
  });

  it('is read from TESSERA_PORTAL_DIR when set, once at start', async () => {
    const dir = folder();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>another portal</title>');
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'export {};');
    writeFileSync(join(dir, 'robots.txt'), 'User-agent: *\n');
    const tc = await startTestCenter('sqlite', { TESSERA_PORTAL_DIR: dir });
    try {
      expect(await (await fetch(`${tc.center.url}/licenses`)).text()).toBe('<!doctype html><title>another portal</title>');
      expect(await (await fetch(`${tc.center.url}/assets/app-1.js`)).text()).toBe('export {};');
      const robots = await fetch(`${tc.center.url}/robots.txt`);
      expect(robots.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(robots.headers.get('cache-control')).toBe('no-cache');
      // Read once: a later change on disk is not served until a restart.
      writeFileSync(join(dir, 'index.html'), 'changed');
      expect(await (await fetch(`${tc.center.url}/`)).text()).toBe('<!doctype html><title>another portal</title>');
    } finally {
      await tc.close();
    }
  });
});
