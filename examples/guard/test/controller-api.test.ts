/**
 * The controller's pieces in this process, against a real License Manager and a real HTTP server: untrusted
 * input (paths, bodies, headers) always gets a JSON answer with a stable code, never a crash; values shown on
 * the status page are escaped; the flag parsers say what is wrong.
 */
import fc from 'fast-check';
import { watch } from '@tessera/sdk';
import type { LicenseWatch } from '@tessera/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intFlag, lmUrlFlag, lmUrlsFlag, readFlags, TRUST_REMOVED, UsageError } from '../src/args.js';
import { startController } from '../src/controller/app.js';
import type { RunningController } from '../src/controller/app.js';
import { renderStatusPage } from '../src/controller/status-page.js';
import { loadGuardLicense, startLm } from './support/guard.js';
import type { Lm } from './support/guard.js';

let lm: Lm;
let license: LicenseWatch;
let controller: RunningController;
const logged: string[] = [];

beforeAll(async () => {
  lm = await startLm();
  await loadGuardLicense(lm, { limits: { remote_clusters: 1 } });
  license = await watch({ ...lm.sdk, url: lm.addr, product: 'guard', pollMs: 200 });
  controller = await startController({
    license,
    lmUrls: [lm.daemon.url],
    root: [lm.sdk.root],
    host: '127.0.0.1',
    port: 0,
    timeoutMs: 2000,
    heartbeatMs: 300,
    log: (l) => logged.push(l),
  });
});
afterAll(async () => {
  await controller?.close();
  await license?.close();
  await lm?.close();
});

const EXPECTED_CODES =
  /^(BAD_REQUEST|NOT_FOUND|METHOD_NOT_ALLOWED|UNAUTHORIZED|NOT_REGISTERED|LEASE_TOKEN_INVALID|SEAT_MISMATCH|LIMIT_EXCEEDED|FEATURE_NOT_LICENSED)$/;

describe('untrusted input', () => {
  it('answers any method, path and body with JSON and a known code, never a 500', async () => {
    const paths = fc.oneof(
      fc.constantFrom('/api/enforcers', '/api/clusters', '/api/scan', '/api/enforce', '/api/status', '/'),
      fc.string({ maxLength: 20 }).map((s) => `/api/enforcers/${encodeURIComponent(s)}/heartbeat`),
      fc.string({ maxLength: 20 }).map((s) => `/api/clusters/${encodeURIComponent(s)}`),
      fc.string({ maxLength: 30 }).map((s) => `/${s.replace(/[^\x21-\x7e]/g, '')}`),
      fc.constantFrom('/api/clusters/%E0%A4%A', '/api/enforcers/%/heartbeat'),
    );
    const bodies = fc.oneof(
      fc.constant(undefined),
      fc.json(),
      fc.string({ maxLength: 50 }),
      fc.jsonValue().map((v) => JSON.stringify({ nodeId: v, token: v, name: v })),
      fc.string({ minLength: 1, maxLength: 40 }).map((t) => JSON.stringify({ nodeId: 'node-a', token: t.replace(/\s/g, '_') })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), paths, bodies, fc.boolean(), async (method, path, body, json) => {
        const withBody = body !== undefined && method !== 'GET';
        const response = await fetch(controller.url + path, {
          method,
          headers: { ...(withBody && json ? { 'content-type': 'application/json' } : {}), authorization: 'Bearer x' },
          ...(withBody ? { body } : {}),
        });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          const answer = (await response.json()) as { error: { code: string; message: string } };
          expect(answer.error.code).toMatch(EXPECTED_CODES);
          expect(answer.error.message.length).toBeGreaterThan(10);
        } else {
          await response.arrayBuffer();
        }
      }),
      { numRuns: 150 },
    );
    // Whatever was thrown at it, at most the one cluster the license allows was joined.
    const status = (await (await fetch(controller.url + '/api/status')).json()) as any;
    expect(status.clusters.joined.length).toBeLessThanOrEqual(1);
    expect(status.managedNodes).toBe(0);
    expect(logged.filter((l) => l.includes('unexpected error'))).toEqual([]);
  });

  it('refuses a body over 16 KiB', async () => {
    const response = await fetch(controller.url + '/api/clusters', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(20_000) }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe('BAD_REQUEST');
  });
});

describe('the status page', () => {
  it('escapes every value it shows', () => {
    const html = renderStatusPage({
      product: 'guard',
      license: {
        licensed: false,
        status: 'Invalid',
        code: 'X<Y',
        message: '<script>alert(1)</script>',
        licenseId: '"lic"',
        serial: null,
        expiresAt: null,
        enforcerSeats: 0,
        outage: { since: '<i>s</i>', graceEndsAt: '<i>g</i>' },
      },
      banner: { tone: 'red', status: 'Invalid', code: 'X<Y', message: '<script>alert(1)</script> & more' },
      managedNodes: 0,
      enforcers: [{ nodeId: 'a', host: '<b>h</b>', connectedAt: 't', lastSeenAt: 't', seatExpiresAt: 't' }],
      clusters: { joined: [], limit: 0, limitName: 'remote_clusters' },
      features: { scan: false },
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>h</b>');
    expect(html).not.toContain('<i>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(html).toContain('&quot;lic&quot;');
  });
});

describe('flags', () => {
  it('takes the License Manager as host:port or a URL', () => {
    expect(lmUrlFlag('127.0.0.1:9119')).toBe('http://127.0.0.1:9119');
    expect(lmUrlsFlag('lm-0:9119, https://lm-1:9443')).toEqual(['http://lm-0:9119', 'https://lm-1:9443']);
    expect(() => lmUrlsFlag('lm-0:9119,lm-0:9119')).toThrow('--license_manager_url names the same License Manager twice.');
    expect(() => lmUrlsFlag(',')).toThrow(/needs at least one host:port/);
    expect(lmUrlFlag('https://lm.example:9443/')).toBe('https://lm.example:9443');
    expect(() => lmUrlFlag('lm.example')).toThrow(/has no port; give host:port/);
    expect(() => lmUrlFlag('::::')).toThrow(UsageError);
  });

  it('names the flag that is wrong', () => {
    expect(() => readFlags(['--port'], ['port'], [], 'usage')).toThrow(UsageError);
    expect(() => readFlags([], ['node-id'], ['node-id'], 'u')).toThrow('--node-id is required. Usage: u');
    expect(() => readFlags(['extra'], ['port'], [], 'u')).toThrow(UsageError);
    expect(() => intFlag('port', '80a', 1, 0, 65535)).toThrow('--port "80a" must be a whole number from 0 to 65535.');
    expect(intFlag('port', undefined, 10443, 0, 65535)).toBe(10443);
  });

  it('refuses a --trust left over from earlier releases, in either form, saying the root is compiled in', () => {
    for (const argv of [['--trust', lm.world.trustPath], [`--trust=${lm.world.trustPath}`], ['--trust']]) {
      expect(() => readFlags(argv, ['port'], [], 'usage')).toThrow(TRUST_REMOVED);
    }
    expect(TRUST_REMOVED).toMatch(/^--trust is no longer a flag: guard trusts only the vendor's root key compiled into it/);
  });
});
