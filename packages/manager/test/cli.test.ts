import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armor, issueClockReset, readRequestCode } from '@tessera/core';
import { cli, serve, writeConfig } from './support/process.js';
import type { RunningLm } from './support/process.js';
import { DAY, licenseFor, makeWorld } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: RunningLm;
let config: string;
let lmid: string;

beforeAll(async () => {
  world = makeWorld();
  config = writeConfig(world);
  lm = await serve(config);
  lmid = JSON.parse(cli(['--addr', lm.addr, '--json', 'info']).stdout).lmid;
});
afterAll(async () => {
  await lm.stop();
  world.cleanup();
});

const run = (...args: string[]) => cli(['--addr', lm.addr, '--config', config, ...args]);

describe('tessera-lm CLI', () => {
  it('is reachable as npx tessera-lm from the repository root (the bin link, executable)', () => {
    const bin = fileURLToPath(new URL('../../../node_modules/.bin/tessera-lm', import.meta.url));
    const run = spawnSync(bin, ['version'], { encoding: 'utf8' });
    expect([run.status, run.stdout]).toEqual([0, 'tessera-lm 0.1.0\n']);
  });

  it('prints its version', () => {
    expect(cli(['version'])).toMatchObject({ status: 0, stdout: 'tessera-lm 0.1.0\n' });
    expect(JSON.parse(cli(['--json', 'version']).stdout)).toEqual({ version: '0.1.0' });
  });

  it('info shows the LMID and NotExist before a key is loaded', () => {
    const out = run('info');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^LMID: +${lmid}$`, 'm'));
    expect(out.stdout).toMatch(/^LicenseStatus: +NotExist \(NO_LICENSE\)$/m);
  });

  it('load --key takes a key pasted across lines, reading the token from the data path', () => {
    const now = Date.now();
    const key = licenseFor(world, lmid, {
      issuedAt: new Date(now - DAY).toISOString(),
      startsAt: new Date(now - DAY).toISOString(),
      expiresAt: new Date(now + 100 * DAY).toISOString(),
    });
    const out = run('load', '--key', `${key.slice(0, 100)}\n${key.slice(100)}\n`);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^LicenseStatus: +Normal \(VALID\)$/m);
    expect(out.stdout).toMatch(/^Query Node: +0\/2 used$/m);
    expect(JSON.parse(run('--json', 'usage').stdout).roles.storage).toEqual({ total: 3, used: 0, free: 3 });
    expect(run('usage').stdout).toMatch(/^query +2 +0 +2$/m);
  });

  it('load --key - reads an armored key from standard input', () => {
    const now = Date.now();
    const key = licenseFor(world, lmid, {
      serial: 5,
      issuedAt: new Date(now - DAY).toISOString(),
      startsAt: new Date(now - DAY).toISOString(),
      expiresAt: new Date(now + 50 * DAY).toISOString(),
    });
    const armored = `-----BEGIN TESSERA LICENSE-----\n${key.match(/.{1,64}/g)!.join('\n')}\n-----END TESSERA LICENSE-----\n`;
    const out = cli(['--addr', lm.addr, '--config', config, 'load', '--key', '-'], armored);
    expect(out.status).toBe(0);
    expect(JSON.parse(run('--json', 'info').stdout).serial).toBe(5);
  });

  it('refuses a bad key with its code in one line and exit code 1', () => {
    const out = run('load', '--key', 'tessera-license:9999.abc.def');
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/^tessera-lm: The license key is cut short/);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    const json = run('--json', 'load', '--key', 'nonsense');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout).error.code).toBe('MALFORMED');
  });

  it('makes a request code the vendor can verify', () => {
    const out = run(
      '--json',
      'request-code',
      '--name',
      'Ann',
      '--email',
      'ann@example.com',
      '--nodes',
      'query=3,storage=5',
      '--limit',
      'remote_clusters=2',
      '--feature',
      'scan,enforce',
      '--months',
      '6',
    );
    expect(out.status).toBe(0);
    const read = readRequestCode(JSON.parse(out.stdout).requestCode);
    expect(read).toMatchObject({
      ok: true,
      value: { lmid, nodes: { query: 3, storage: 5 }, limits: { remote_clusters: 2 }, features: ['scan', 'enforce'], months: 6 },
    });
  });

  it('maps every failure to a documented exit code with a sentence', () => {
    expect(run('request-code', '--name', 'A', '--email', 'a@b.c', '--nodes', 'query=three')).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/"query=three" is not name=number/),
    });
    expect(run('load')).toMatchObject({ status: 2, stderr: expect.stringMatching(/Give the key/) });
    expect(run('frobnicate').status).toBe(2);
    expect(cli(['--addr', '127.0.0.1:1', 'info'])).toMatchObject({
      status: 3,
      stderr: expect.stringMatching(/Cannot reach the License Manager at 127.0.0.1:1/),
    });
    expect(cli(['--addr', lm.addr, '--data-path', world.dir, 'sync'])).toMatchObject({
      status: 4,
      stderr: expect.stringMatching(/admin token/),
    });
    const wrong = join(world.dir, 'wrong.token');
    writeFileSync(wrong, 'wrong\n');
    expect(cli(['--addr', lm.addr, '--token-file', wrong, 'sync'])).toMatchObject({
      status: 4,
      stderr: expect.stringMatching(/admin token is wrong/),
    });
  });

  it('reads the admin token from --token-file or standard input, never from the command line', () => {
    const token = readFileSync(join(world.config.dataPath, 'admin.token'), 'utf8');
    const file = join(world.dir, 'copy.token');
    writeFileSync(file, token, { mode: 0o600 });
    // Without --config: the token comes from the file named, or from standard input.
    expect(
      cli(['--addr', lm.addr, '--token-file', file, 'request-code', '--name', 'A', '--email', 'a@b.co', '--nodes', 'query=1']).status,
    ).toBe(0);
    const piped = cli(
      ['--addr', lm.addr, '--token-file', '-', '--json', 'request-code', '--name', 'A', '--email', 'a@b.co', '--nodes', 'query=1'],
      token,
    );
    expect(piped.status).toBe(0);
    // The request code carries the clock high-water mark, for a clock reset.
    expect(readRequestCode(JSON.parse(piped.stdout).requestCode)).toMatchObject({
      ok: true,
      value: { highWater: expect.stringMatching(/Z$/) },
    });
    const argument = cli(['--addr', lm.addr, '--token', token.trim(), 'sync']);
    expect(argument.status).toBe(2);
    expect(argument.stderr).toMatch(
      /--token is gone: a token on the command line is visible to every user of this host \(ps\)\. Use --token-file/,
    );
    expect(cli(['--addr', lm.addr, '--token-file', '-', 'load', '--key', '-'], token)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/Standard input can carry the key or the admin token, not both/),
    });
    expect(cli(['--addr', lm.addr, '--token-file', join(world.dir, 'none.token'), 'sync'])).toMatchObject({
      status: 4,
      stderr: expect.stringMatching(/Cannot read the admin token from .*none.token: ENOENT/),
    });
    expect(cli(['--help']).stdout).not.toMatch(/--token </);
  });

  it('load takes a clock reset from a file and passes on why it does not apply', () => {
    const vendor = world.vendor;
    const reset = issueClockReset(
      { id: 'rst_cli', lmid, fromHighWater: '2020-01-01T00:00:00.000Z', toTime: new Date().toISOString() },
      vendor,
    );
    if (!reset.ok) throw new Error(reset.detail);
    const file = join(world.dir, 'reset.txt');
    writeFileSync(file, armor(reset.value) + '\n');
    const out = run('--json', 'load', '--key-file', file);
    expect(out.status).toBe(1);
    expect(JSON.parse(out.stdout).error).toMatchObject({
      code: 'RESET_NOT_APPLICABLE',
      message: expect.stringMatching(/^This clock reset is for the high-water mark 2020-01-01T00:00:00.000Z, but the mark is now/),
    });
  });

  it('serve lists every configuration problem with its key and exits 5', () => {
    const bad = join(world.dir, 'bad.yaml');
    writeFileSync(bad, `port: abc\nfingerprint: maybe\ntrust: ${world.trustPath}\n`);
    const out = cli(['serve', '--config', bad]);
    expect(out.status).toBe(5);
    expect(out.stderr).toMatch(/port/);
    expect(out.stderr).toMatch(/fingerprint/);
    expect(out.stderr).toMatch(/dataPath/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });
});
