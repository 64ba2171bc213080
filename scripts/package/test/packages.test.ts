/**
 * `npm run package`, built once here (cached under node_modules/.cache/tessera-package, so a run after the first
 * takes seconds), and its packages used as a customer and a vendor would: each tarball unpacked in an empty folder
 * and run with no Node.js on PATH; each .deb installed with dpkg -i, run as its system user, upgraded in place
 * (configuration and state kept), removed with dpkg -r, and purged.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from '../build.js';
import type { Artefact, BuildResult } from '../build.js';
import { PROGRAMS, versionOf } from '../programs.js';
import type { ProgramName } from '../programs.js';
import { REPO } from '../build.js';
import { NODE_RUNTIME } from '../runtime.js';
import { debLifecycle } from './deb-lifecycle.js';
import { debCommands, linkAt, lmSystems, tarballCommands } from '../../../apps/portal/src/lm-packages.js';
import type { LmPackage } from '../../../apps/portal/src/lm-packages.js';
import { makeVendor, pathWithoutNode, postJson, runCommand, startServer } from './support.js';
import type { Running, Vendor } from './support.js';

let work: string;
let built: BuildResult;
let vendor: Vendor;
let noNode: NodeJS.ProcessEnv;

// The first build on a clean machine downloads the runtime and compiles SQLite: minutes, once.
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tessera-package-test-'));
  built = await buildPackages({
    outDir: join(work, 'out'),
    keepStage: true,
    log: (line) => process.stderr.write(`[package] ${line}\n`),
  });
  process.stderr.write(`[package] npm run package took ${built.seconds.toFixed(1)} s\n`);
  vendor = makeVendor();
  noNode = { PATH: pathWithoutNode(work), LANG: 'C.UTF-8' };
}, 15 * 60_000);

afterAll(() => {
  if (built?.stageDir) rmSync(built.stageDir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

const artefact = (program: ProgramName, kind: Artefact['kind']) => built.artefacts.find((a) => a.program === program && a.kind === kind)!;
const version = (program: ProgramName) => versionOf(REPO, PROGRAMS[program]);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Unpacks `program`'s tarball into a new empty folder; answers the folder. */
function unpack(program: ProgramName): string {
  const dir = mkdtempSync(join(work, `${program}-`));
  expect(readdirSync(dir)).toEqual([]);
  expect(runCommand('tar', ['-xzf', artefact(program, 'tarball').file, '-C', dir]).status).toBe(0);
  return dir;
}

function tarListing(program: ProgramName): string[] {
  return runCommand('tar', ['-tzf', artefact(program, 'tarball').file])
    .stdout.split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/\/$/, ''));
}

function lmConfig(dir: string, dataPath: string, trust: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `host: 127.0.0.1\nport: 0\ndataPath: ${dataPath}\ntrust: ${trust}\nlog:\n  mode: console\n  level: warn\n`);
  return file;
}

/** The License Manager's story with a CLI at `bin`: info (NotExist), load a key, check out a seat, usage. */
async function licenseAndSeat(bin: string, lm: Running, config: string): Promise<string> {
  const addr = new URL(lm.url).host;
  const cli = (args: string[], input?: string) =>
    runCommand(bin, ['--addr', addr, '--config', config, ...args], { env: noNode, ...(input !== undefined ? { input } : {}) });
  const before = cli(['--json', 'info']);
  expect(before.stderr).toBe('');
  const info = JSON.parse(before.stdout);
  expect(info.lmid).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  expect(info.status).toBe('NotExist');

  const loaded = cli(['load', '--key', '-'], vendor.licenseFor(info.lmid));
  expect(loaded.stderr).toBe('');
  expect(loaded.status).toBe(0);
  expect(loaded.stdout).toMatch(/^LicenseStatus: +Normal \(VALID\)$/m);

  const seat = await postJson(`${lm.url}/v1/seats/checkout`, {
    product: 'graphdb',
    role: 'query',
    nodeId: 'q1',
    instance: 'proc-q1',
    host: 'q1.local',
  });
  expect(seat.status).toBe(200);
  expect(seat.body.leaseId).toMatch(/^lse_/);
  expect(JSON.parse(cli(['--json', 'usage']).stdout).roles.query).toEqual({ total: 2, used: 1, free: 1 });
  return info.lmid;
}

describe('npm run package', () => {
  it('makes a tarball and a .deb of the License Manager and of the License Center, named by their package.json versions', () => {
    const names = built.artefacts.map((a) => basename(a.file)).sort();
    const lm = version('tessera-lm');
    const center = version('tessera-center');
    expect(names).toEqual(
      [
        `tessera-center-${center}-linux-x64.tar.gz`,
        `tessera-center_${center}_amd64.deb`,
        `tessera-lm-${lm}-linux-x64.tar.gz`,
        `tessera-lm_${lm}_amd64.deb`,
      ].sort(),
    );
    const sums = readFileSync(join(work, 'out', 'SHA256SUMS'), 'utf8');
    for (const a of built.artefacts) {
      expect(a.sha256).toBe(sha256(a.file));
      expect(sums).toContain(`${a.sha256}  ${basename(a.file)}\n`);
    }
  });

  it('puts the runtime, the program bundled into one file and its addons in the tarball: no npm, no node_modules', () => {
    expect(tarListing('tessera-lm').sort()).toEqual(
      [
        'tessera-lm',
        'tessera-lm/bin',
        'tessera-lm/bin/tessera-lm',
        'tessera-lm/lib',
        'tessera-lm/lib/better_sqlite3.node',
        'tessera-lm/lib/node',
        'tessera-lm/lib/tessera-lm.mjs',
        'tessera-lm/share',
        'tessera-lm/share/config.yaml',
        'tessera-lm/share/console',
        'tessera-lm/share/console/browser.js',
        'tessera-lm/share/console/forms.js',
        'tessera-lm/share/doc',
        'tessera-lm/share/doc/README',
        'tessera-lm/share/doc/node-LICENSE',
        'tessera-lm/share/tessera-lm.service',
      ].sort(),
    );
    const center = tarListing('tessera-center');
    expect(center).toEqual(
      expect.arrayContaining([
        'tessera-center/bin/tessera-center',
        'tessera-center/lib/node',
        'tessera-center/lib/tessera-center.mjs',
        'tessera-center/lib/better_sqlite3.node',
        'tessera-center/lib/argon2.linux-x64-gnu.node',
        'tessera-center/share/center.env',
        'tessera-center/share/tessera-center.service',
        'tessera-center/share/portal/index.html',
      ]),
    );
    expect(center.filter((entry) => /node_modules|(^|\/)npm|\.ts$/.test(entry))).toEqual([]);
    expect(center.filter((entry) => entry.startsWith('tessera-center/lib/')).sort()).toEqual(
      [
        'tessera-center/lib/argon2.linux-x64-gnu.node',
        'tessera-center/lib/better_sqlite3.node',
        'tessera-center/lib/node',
        'tessera-center/lib/tessera-center.mjs',
      ].sort(),
    );
  });
});

describe('the License Manager tarball', () => {
  it('runs unpacked in an empty folder with no Node.js on PATH: info, a key loaded, a seat checked out', async () => {
    const dir = unpack('tessera-lm');
    const bin = join(dir, 'tessera-lm', 'bin', 'tessera-lm');
    expect(runCommand(bin, ['version'], { env: noNode })).toMatchObject({ status: 0, stdout: `tessera-lm ${version('tessera-lm')}\n` });
    const node = runCommand(join(dir, 'tessera-lm', 'lib', 'node'), ['--version'], { env: noNode });
    expect(node.stdout.trim()).toBe(`v${NODE_RUNTIME.version}`);

    writeFileSync(join(dir, 'trust-bundle.json'), vendor.trustFile);
    const config = lmConfig(dir, join(dir, 'data'), join(dir, 'trust-bundle.json'));
    const lm = await startServer(bin, ['serve', '--config', config], { env: noNode });
    try {
      await licenseAndSeat(bin, lm, config);
    } finally {
      expect(await lm.stop()).toBe(0);
    }
  });
});

describe('the License Center tarball', () => {
  it('runs unpacked in an empty folder with no Node.js on PATH, and serves its portal', async () => {
    const dir = unpack('tessera-center');
    const bin = join(dir, 'tessera-center', 'bin', 'tessera-center');
    const lc = await startServer(bin, ['--data', join(dir, 'data'), 'serve', '--port', '0', '--first-admin', 'admin@vendor.example'], {
      env: noNode,
    });
    try {
      await servesPortalAndApi(lc.url);
    } finally {
      expect(await lc.stop()).toBe(0);
    }
    expect(existsSync(join(dir, 'data', 'master.key'))).toBe(true);
  });
});

describe('the packaged License Center serving the packaged License Manager', () => {
  it("publishes the License Manager's packages; the bind wizard's commands download, check and unpack them", async () => {
    const dir = unpack('tessera-center');
    const center = join(dir, 'tessera-center', 'bin', 'tessera-center');
    const data = join(dir, 'data');
    const lm = { tarball: artefact('tessera-lm', 'tarball'), deb: artefact('tessera-lm', 'deb') };
    const published = runCommand(center, ['--data', data, 'lm-packages', 'publish', lm.tarball.file, lm.deb.file], { env: noNode });
    expect(published.stderr).toBe('');
    expect(published.stdout).toContain(
      `published ${basename(lm.tarball.file)}: Tessera License Manager ${version('tessera-lm')}, linux-x64`,
    );
    expect(published.stdout).toContain(
      `published ${basename(lm.deb.file)}: Tessera License Manager ${version('tessera-lm')}, debian-amd64`,
    );
    const staff = runCommand(
      center,
      ['--data', data, '--json', 'staff', 'create', '--email', 'ops@vendor.example', '--role', 'admin', '--api-token'],
      {
        env: noNode,
      },
    );
    const token = JSON.parse(staff.stdout).apiToken as string;

    const lc = await startServer(center, ['--data', data, 'serve', '--port', '0'], { env: noNode });
    try {
      const call = (method: string, path: string) => fetch(`${lc.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      const listed = (await (await call('GET', '/v1/lm-packages')).json()) as { items: (LmPackage & { id: string })[] };
      const systems = lmSystems(listed.items);
      expect(systems.map((s) => s.system)).toEqual(['linux-x64']);
      const { tarball, deb } = systems[0]!.packages;
      expect([tarball?.sha256, deb?.sha256]).toEqual([lm.tarball.sha256, lm.deb.sha256]);
      const linkOf = async (id: string) =>
        linkAt(((await (await call('POST', `/v1/lm-packages/${id}/link`)).json()) as { url: string }).url, lc.url);

      // The wizard's lines up to the installed command, with /opt and /usr/local/bin moved into the test's folder.
      const home = mkdtempSync(join(work, 'customer-'));
      const lines = tarballCommands(tarball!, await linkOf(listed.items.find((p) => p.filename === tarball!.filename)!.id), lc.url);
      const install = lines
        .slice(1, lines.findIndex((line) => line.startsWith('ln -sf')) + 1)
        .map((line) => line.replaceAll('/opt', join(home, 'opt')).replaceAll('/usr/local/bin', join(home, 'bin')));
      expect(install.map((line) => line.split(' ')[0])).toEqual(['curl', 'echo', 'tar', 'ln']);
      runCommand('mkdir', ['-p', join(home, 'opt'), join(home, 'bin')]);
      const ran = runCommand('sh', ['-e', '-c', `cd ${home}\n${install.join('\n')}`]);
      // (curl writes its progress to standard error.)
      expect({ status: ran.status, stdout: ran.stdout }).toEqual({ status: 0, stdout: `${basename(lm.tarball.file)}: OK\n` });
      expect(runCommand(join(home, 'bin', 'tessera-lm'), ['version'], { env: noNode }).stdout).toBe(
        `tessera-lm ${version('tessera-lm')}\n`,
      );

      const debLines = debCommands(deb!, await linkOf(listed.items.find((p) => p.filename === deb!.filename)!.id), lc.url);
      const fetched = runCommand('sh', ['-e', '-c', `cd ${home}\n${debLines.slice(1, 3).join('\n')}`]);
      expect(fetched.stdout).toBe(`${basename(lm.deb.file)}: OK\n`);
      // A file that is not the one listed stops the commands before anything is installed.
      writeFileSync(join(home, basename(lm.deb.file)), 'tampered');
      expect(runCommand('sh', ['-e', '-c', `cd ${home}\n${debLines[2]}`]).status).not.toBe(0);
    } finally {
      expect(await lc.stop()).toBe(0);
    }
  });
});

/** The License Center at `url` answers its API, the trust file, a login (argon2, native) and its portal. */
async function servesPortalAndApi(url: string): Promise<string> {
  expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok', database: 'sqlite' });
  const page = await fetch(`${url}/licenses`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<title>Tessera License Center</title>');
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(script).toBeDefined();
  expect((await fetch(`${url}${script}`)).status).toBe(200);
  // An unknown account's password is still checked against a decoy hash: argon2's addon at work.
  const login = await postJson(`${url}/v1/auth/login`, { email: 'nobody@vendor.example', password: 'not the password at all' });
  expect([login.status, login.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
  const trust = await fetch(`${url}/v1/trust-bundle`);
  expect(trust.status).toBe(200);
  return trust.text();
}

let lmid: string;
debLifecycle('tessera-lm', () => ({ built, work, noNode }), {
  async firstRun() {
    writeFileSync('/etc/tessera-lm/trust-bundle.json', vendor.trustFile, { mode: 0o644 });
    // The administrator's changes to the conffile, which the upgrade must keep.
    writeFileSync('/etc/tessera-lm/config.yaml', `${readFileSync('/etc/tessera-lm/config.yaml', 'utf8')}\nhost: 127.0.0.1\nport: 0\n`);
    const lm = await startServer('/usr/bin/tessera-lm', ['serve', '--config', '/etc/tessera-lm/config.yaml'], {
      env: noNode,
      user: 'tessera-lm',
    });
    try {
      lmid = await licenseAndSeat('/usr/bin/tessera-lm', lm, '/etc/tessera-lm/config.yaml');
    } finally {
      expect(await lm.stop()).toBe(0);
    }
    expect(runCommand('stat', ['-c', '%U', '/var/lib/tessera-lm/admin.token']).stdout.trim()).toBe('tessera-lm');
  },
  async afterUpgrade() {
    const lm = await startServer('/usr/bin/tessera-lm', ['serve', '--config', '/etc/tessera-lm/config.yaml'], {
      env: noNode,
      user: 'tessera-lm',
    });
    try {
      const info = runCommand(
        '/usr/bin/tessera-lm',
        ['--addr', new URL(lm.url).host, '--config', '/etc/tessera-lm/config.yaml', '--json', 'info'],
        {
          env: noNode,
        },
      );
      // The same identity (the LMID derives from the key in the state) and the license loaded before.
      expect(JSON.parse(info.stdout)).toMatchObject({ lmid, status: 'Normal' });
    } finally {
      expect(await lm.stop()).toBe(0);
    }
  },
  stateKept() {
    expect(readdirSync('/var/lib/tessera-lm')).toContain('admin.token');
  },
});

let masterKey: string;
let trustFile: string;
const serveCenter = () =>
  startServer(
    '/usr/bin/tessera-center',
    ['--data', '/var/lib/tessera-center', 'serve', '--port', '0', '--first-admin', 'admin@vendor.example'],
    {
      env: noNode,
      user: 'tessera-center',
    },
  );
debLifecycle('tessera-center', () => ({ built, work, noNode }), {
  async firstRun() {
    // The administrator's change to the conffile (the service reads it; this run passes --data itself).
    writeFileSync(
      '/etc/tessera-center/center.env',
      `${readFileSync('/etc/tessera-center/center.env', 'utf8')}\nTESSERA_PUBLIC_URL=https://license.vendor.example\n`,
    );
    const lc = await serveCenter();
    try {
      trustFile = await servesPortalAndApi(lc.url);
    } finally {
      expect(await lc.stop()).toBe(0);
    }
    const key = '/var/lib/tessera-center/master.key';
    expect(runCommand('stat', ['-c', '%U %a', key]).stdout.trim()).toBe('tessera-center 600');
    masterKey = sha256(key);
  },
  async afterUpgrade() {
    expect(sha256('/var/lib/tessera-center/master.key')).toBe(masterKey);
    const lc = await serveCenter();
    try {
      // The same vendor root and signing keys: the database and the master key were kept.
      expect(await servesPortalAndApi(lc.url)).toBe(trustFile);
    } finally {
      expect(await lc.stop()).toBe(0);
    }
  },
  stateKept() {
    expect(statSync('/var/lib/tessera-center/master.key').isFile()).toBe(true);
    expect(existsSync('/var/lib/tessera-center/tessera.db')).toBe(true);
  },
});
