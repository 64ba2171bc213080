/** The console page as served: no other site may frame it (it takes the admin token), and what its forms take. */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import { call, makeWorld, start } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon;
beforeAll(async () => {
  world = makeWorld();
  lm = await start(world);
});
afterAll(async () => {
  await lm.close();
  world.cleanup();
});

describe('GET /', () => {
  it("refuses to be framed by any site: CSP frame-ancestors 'none' and X-Frame-Options DENY", async () => {
    const { status, headers } = await call(lm, 'GET', '/');
    expect(status).toBe(200);
    const policy = (headers.get('content-security-policy') ?? '').split(';').map((part) => part.trim());
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("default-src 'none'");
    expect(headers.get('x-frame-options')).toBe('DENY');
  });

  it('offers the load form for clock resets and trust bundles too, and force only for expired or not yet valid licenses', async () => {
    const page = String((await call(lm, 'GET', '/')).body);
    expect(page).toContain('License key (online key or offline key), clock reset or trust bundle');
    expect(page).toContain('Load a license even if it is expired or not yet valid (force)');
    expect(page).not.toMatch(/older than the loaded one/);
  });
});

describe('the name an LM goes by', () => {
  it('is "tessera-lm <name>" in the console title and header', async () => {
    const page = String((await call(lm, 'GET', '/')).body);
    expect(page).toMatch(/<title>NotExist · tessera-lm lm-test<\/title>/);
    expect(page).toContain('<p class="lm-name">tessera-lm <strong>lm-test</strong>');
  });

  it('says tessera-lm once when the LM keeps the default name, in the log line and the console', async () => {
    const named = makeWorld();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line).msg as string) });
    const other = await start({ ...named, config: { ...named.config, name: 'tessera-lm' } }, { logger });
    try {
      expect(lines.find((line) => line.includes('serving on'))).toMatch(/^tessera-lm serving on 127\.0\.0\.1:\d+, LMID /);
      const page = String((await call(other, 'GET', '/')).body);
      expect(page).toMatch(/<title>NotExist · tessera-lm<\/title>/);
      expect(page).toContain('<p class="lm-name"><strong>tessera-lm</strong> <span class="muted">v');
      expect(page).not.toMatch(/tessera-lm\s*(<[^>]+>\s*)*tessera-lm/);
    } finally {
      await other.close();
      named.cleanup();
    }
  });
});
