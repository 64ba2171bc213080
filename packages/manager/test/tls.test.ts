/**
 * `tls: { cert, key }`: the built binary serves HTTPS only, and its CLI, given the config, trusts exactly that
 * certificate (whatever address it uses). Certificates are made here with openssl, self-signed, for a name that is
 * not the address the CLI dials, so only the pin can make the CLI trust it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, serve, writeConfig } from './support/process.js';
import type { RunningLm } from './support/process.js';
import { DAY, licenseFor, makeWorld } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: RunningLm;
let config: string;

function makeCertificate(name: string): { cert: string; key: string } {
  const cert = join(world.dir, `${name}.crt`);
  const key = join(world.dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

beforeAll(async () => {
  world = makeWorld();
  const { cert, key } = makeCertificate('tessera-lm.test');
  config = writeConfig(world, `tls:\n  cert: ${cert}\n  key: ${key}\n`);
  lm = await serve(config);
});
afterAll(async () => {
  await lm.stop();
  world.cleanup();
});

describe('tessera-lm with tls', () => {
  it('serves HTTPS, and its CLI reaches it with the config, for reading and for admin commands', () => {
    expect(lm.url).toBe(`https://${lm.addr}`);
    // The config (port 0 here) names no address to dial; the address has no scheme: the config's tls makes it HTTPS.
    const info = cli(['--addr', lm.addr, '--config', config, '--json', 'info']);
    expect(info.status).toBe(0);
    const lmid = JSON.parse(info.stdout).lmid as string;
    const now = Date.now();
    const key = licenseFor(world, lmid, {
      issuedAt: new Date(now - DAY).toISOString(),
      startsAt: new Date(now - DAY).toISOString(),
      expiresAt: new Date(now + 100 * DAY).toISOString(),
    });
    expect(cli(['--addr', lm.addr, '--config', config, 'load', '--key', key])).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/Normal/),
    });
  });

  it('answers a product that trusts its certificate, and nothing in clear text', async () => {
    const ca = readFileSync(certPath(), 'utf8');
    const status = await new Promise<number>((resolve, reject) =>
      httpsGet(`${lm.url}/health`, { ca, servername: 'tessera-lm.test' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject),
    );
    expect(status).toBe(200);
    await expect(fetch(`http://${lm.addr}/health`)).rejects.toThrow();
  });

  it('trusts no other certificate, and says what to do when it cannot connect', () => {
    expect(cli(['--addr', `https://${lm.addr}`, 'info'])).toMatchObject({
      status: 3,
      stderr: expect.stringMatching(/its TLS certificate is not trusted \(\w+\)\. The CLI trusts the certificate of tls.cert/),
    });
    const other = makeCertificate('other.test');
    const otherConfig = join(world.dir, 'other.yaml');
    writeFileSync(otherConfig, readFileSync(config, 'utf8').replace(/cert: .*/, `cert: ${other.cert}`));
    expect(cli(['--addr', lm.addr, '--config', otherConfig, 'info'])).toMatchObject({
      status: 3,
      stderr: expect.stringMatching(/not trusted/),
    });
    expect(cli(['--addr', lm.addr, 'info'])).toMatchObject({
      status: 3,
      stderr: expect.stringMatching(/If it serves HTTPS \(tls in its configuration\), give --config or an https:\/\/ address/),
    });
  });

  it('does not start when a TLS file cannot be read, and says which', () => {
    const bad = join(world.dir, 'bad-tls.yaml');
    writeFileSync(bad, readFileSync(config, 'utf8').replace(/key: .*/, `key: ${join(world.dir, 'missing.key')}`));
    expect(cli(['serve', '--config', bad])).toMatchObject({
      status: 5,
      stderr: expect.stringMatching(/The TLS key .*missing.key cannot be read \(ENOENT\)/),
    });
  });
});

function certPath(): string {
  return /cert: (.*)/.exec(readFileSync(config, 'utf8'))![1]!;
}
