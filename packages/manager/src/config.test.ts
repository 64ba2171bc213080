import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProblems, loadConfig, parseConfig } from './config.js';
import type { ConfigProblem, ConfigResult, LmConfig } from './config.js';

const BASE = resolve('/etc/tessera');
const MINIMAL = 'dataPath: /var/lib/tessera-lm\ntrust: /etc/tessera/trust.json\n';

function config(text: string, baseDir = BASE): LmConfig {
  const result = parseConfig(text, baseDir);
  if (!result.ok) throw new Error(formatProblems('test.yaml', result.problems));
  return result.config;
}

function problems(result: ConfigResult): ConfigProblem[] {
  if (result.ok) throw new Error('expected problems, got a config');
  return result.problems;
}

function problemOf(text: string, key: string): string {
  const found = problems(parseConfig(text, BASE)).filter((problem) => problem.key === key);
  expect(found, `one problem for ${key}`).toHaveLength(1);
  return found[0]!.message;
}

describe('parseConfig: defaults and paths', () => {
  it('fills every default from a config holding only dataPath and trust', () => {
    expect(config(MINIMAL)).toEqual({
      name: 'tessera-lm',
      host: '0.0.0.0',
      port: 9119,
      timeoutMs: 5000,
      dataPath: resolve('/var/lib/tessera-lm'),
      trustPath: resolve('/etc/tessera/trust.json'),
      trustRoots: null,
      center: { url: null },
      syncIntervalMinutes: 60,
      leaseTtlSeconds: 60,
      seats: { secret: null, checkoutsPerMinute: 600 },
      tls: null,
      fingerprint: 'host',
      database: null,
      clockToleranceMinutes: 10,
      notify: { mail: null },
      log: { mode: 'console', path: null, level: 'info', keepDays: 7 },
      vendor: { name: null, supportEmail: null },
    } satisfies LmConfig);
  });

  it("resolves relative paths against the config file's folder", () => {
    const loaded = config('dataPath: data\ntrust: ./keys/trust.json\nlog: { mode: file, path: ../logs }\n', '/opt/lm/conf');
    expect(loaded.dataPath).toBe(resolve('/opt/lm/conf/data'));
    expect(loaded.trustPath).toBe(resolve('/opt/lm/conf/keys/trust.json'));
    expect(loaded.log.path).toBe(resolve('/opt/lm/logs'));
  });

  it('reads every key, removes the trailing slash of the center URL and fills mail defaults', () => {
    const loaded = config(`${MINIMAL}
name: lm-eu
host: 127.0.0.1
port: 0
timeoutMs: 600000
center: { url: "https://center.example.com/lc//" }
syncIntervalMinutes: 1440
leaseTtlSeconds: 5
fingerprint: installation
clockToleranceMinutes: 1
notify:
  mail:
    host: smtp.example.com
    to: ops@example.com
log: { level: DEBUG, keepDays: 30 }
`);
    expect(loaded).toMatchObject({ name: 'lm-eu', host: '127.0.0.1', port: 0, timeoutMs: 600_000, fingerprint: 'installation' });
    expect(loaded.center.url).toBe('https://center.example.com/lc');
    expect([loaded.syncIntervalMinutes, loaded.leaseTtlSeconds, loaded.clockToleranceMinutes]).toEqual([1440, 5, 1]);
    expect(loaded.notify.mail).toEqual({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      user: null,
      password: null,
      from: 'tessera-lm@smtp.example.com',
      to: ['ops@example.com'],
    });
    expect(loaded.log).toEqual({ mode: 'console', path: null, level: 'debug', keepDays: 30 });
  });

  it('treats an empty value as not set', () => {
    expect(config(`${MINIMAL}port:\ncenter:\n`)).toMatchObject({ port: 9119, center: { url: null } });
  });
});

describe('parseConfig: trust roots, the seat API and TLS', () => {
  const ROOT = 'tessera-root:' + Buffer.alloc(32, 7).toString('base64url');
  const OTHER = 'tessera-root:' + Buffer.alloc(32, 9).toString('base64url');

  it('reads trustRoot as one root or a list, and refuses what is not a root with the sentence core gives', () => {
    expect(config(`${MINIMAL}trustRoot: ${ROOT}\n`).trustRoots).toEqual([ROOT]);
    expect(config(`${MINIMAL}trustRoot: [${ROOT}, ${OTHER}]\n`).trustRoots).toEqual([ROOT, OTHER]);
    expect(problemOf(`${MINIMAL}trustRoot: MCowBQYDK2VwAyEA\n`, 'trustRoot')).toMatch(
      /tessera-center trust-root.*\(got "MCowBQYDK2VwAyEA"\)/,
    );
    expect(problemOf(`${MINIMAL}trustRoot: []\n`, 'trustRoot')).toMatch(/at least one root/);
  });

  it('reads seats.secret (hidden in messages, at least 16 characters) and seats.checkoutsPerMinute', () => {
    const secret = 'x'.repeat(24);
    expect(config(`${MINIMAL}seats: { secret: "${secret}", checkoutsPerMinute: 30 }\n`).seats).toEqual({ secret, checkoutsPerMinute: 30 });
    expect(problemOf(`${MINIMAL}seats: { secret: short }\n`, 'seats.secret')).toMatch(/at least 16 characters/);
    const hidden = problemOf(`${MINIMAL}seats: { secret: 123456789012345678 }\n`, 'seats.secret');
    expect(hidden).toContain('(hidden)');
    expect(hidden).not.toContain('123456789012345678');
    expect(problemOf(`${MINIMAL}seats: { checkoutsPerMinute: 0 }\n`, 'seats.checkoutsPerMinute')).toMatch(/from 1 to/);
  });

  it('refuses a seat secret no product could send in its header (the SDK rule), without echoing it', () => {
    const padded = 'pad-secret-0123456789 ';
    const cases = ['p\u00e4ssword-0123456789', 'line\\nbreak-0123456789', padded, 'x'.repeat(1025)];
    for (const secret of cases) {
      const problem = problemOf(`${MINIMAL}seats: { secret: "${secret}" }\n`, 'seats.secret');
      expect(problem).toMatch(/printable ASCII/);
      expect(problem).not.toContain(secret.trim());
    }
    const inner = 'with inner spaces 0123456789';
    expect(config(`${MINIMAL}seats: { secret: "${inner}" }\n`).seats?.secret).toBe(inner);
  });

  it('reads tls with both files, relative to the config folder, and says which one is missing', () => {
    expect(config(`${MINIMAL}tls: { cert: tls/lm.crt, key: /etc/tessera/lm.key }\n`).tls).toEqual({
      cert: resolve('/etc/tessera/tls/lm.crt'),
      key: resolve('/etc/tessera/lm.key'),
    });
    expect(problemOf(`${MINIMAL}tls: { cert: lm.crt }\n`, 'tls.key')).toMatch(/is required: the certificate's private key/);
  });
});

describe('parseConfig: replicas on a shared database', () => {
  const SECRET = 'a'.repeat(64);

  it('reads the database URL and the HA secret, or the files holding them', () => {
    expect(config(`${MINIMAL}database: { url: "postgres://lm:pw@db:5432/tessera" }\nha: { secret: "${SECRET}" }\n`).database).toEqual({
      url: 'postgres://lm:pw@db:5432/tessera',
      urlFile: null,
      poolSize: 10,
      secret: SECRET,
      secretFile: null,
    });
    expect(config(`${MINIMAL}database: { urlFile: secrets/url, poolSize: 4 }\nha: { secretFile: /run/ha }\n`).database).toEqual({
      url: null,
      urlFile: resolve('/etc/tessera/secrets/url'),
      poolSize: 4,
      secret: null,
      secretFile: resolve('/run/ha'),
    });
  });

  it('needs the HA secret with a database, and a database with ha; never shows the URL or the secret', () => {
    expect(problemOf(`${MINIMAL}database: { url: "postgres://lm:hunter2@db/t" }\n`, 'ha')).toContain('at least 32 random characters');
    expect(problemOf(`${MINIMAL}ha: { secret: "${SECRET}" }\n`, 'ha')).toContain("'database' is not");
    const short = problems(
      parseConfig(`${MINIMAL}database: { url: "mysql://lm:hunter2@db/t" }\nha: { secret: "tooshort-hunter3" }\n`, BASE),
    );
    expect(short.map((p) => p.key).sort()).toEqual(['database.url', 'ha.secret']);
    expect(JSON.stringify(short)).not.toMatch(/hunter/);
    expect(
      problemOf(`${MINIMAL}database: { url: "postgres://db/t", urlFile: /x }\nha: { secret: "${SECRET}" }\n`, 'database.urlFile'),
    ).toContain('not both');
  });

  it('refuses fingerprint with a database: the LMID is the installation in the database', () => {
    const text = `${MINIMAL}fingerprint: installation\ndatabase: { url: "postgres://db/t" }\nha: { secret: "${SECRET}" }\n`;
    expect(problemOf(text, 'fingerprint')).toContain('bound to the installation kept in the database');
  });
});

describe('parseConfig: problems', () => {
  it('lists every problem at once, each under its dotted key', () => {
    const result = parseConfig(
      `port: abc
timeoutMs: 0
center: { url: "ftp://center.example.com" }
syncIntervalMinutes: 2.5
fingerprint: mac
notify:
  mail:
    port: "abc"
    secure: "yes"
    to: [ops@example.com, not-an-address]
log: { mode: file, level: verbose, keepDays: -1 }
`,
      BASE,
    );
    const keys = problems(result).map((problem) => problem.key);
    expect(keys.sort()).toEqual(
      [
        'center.url',
        'dataPath',
        'fingerprint',
        'log.keepDays',
        'log.level',
        'log.path',
        'notify.mail.host',
        'notify.mail.port',
        'notify.mail.secure',
        'notify.mail.to',
        'port',
        'syncIntervalMinutes',
        'timeoutMs',
        'trust',
      ].sort(),
    );
    const text = formatProblems('/etc/tessera/lm.yaml', problems(result));
    expect(text).toContain('/etc/tessera/lm.yaml has 14 problems');
    expect(text).toContain('\n  notify.mail.port: must be a whole number from 1 to 65535 (got "abc")');
    expect(text).toContain('\n  port: must be a whole number from 0 to 65535 (got "abc")');
    expect(text).toContain('\n  fingerprint: must be one of host, installation (got "mac")');
    expect(text).toContain('"not-an-address"');
    expect(text).toContain('ftp://center.example.com');
    expect(text.split('\n')).toHaveLength(15);
  });

  it('never shows the mail password, whatever is wrong with it', () => {
    const mail = (password: string) => `${MINIMAL}notify:\n  mail: { host: smtp.example.com, to: [a@b.co], password: ${password} }\n`;
    const numeric = problems(parseConfig(mail('123456789'), BASE));
    expect(numeric).toEqual([{ key: 'notify.mail.password', message: 'must be text; put it in quotes (got (hidden))' }]);
    const alone = problems(parseConfig(mail('"s3cret-pass"'), BASE));
    expect(alone.map((problem) => problem.key)).toEqual(['notify.mail.password']);
    expect(JSON.stringify(alone)).not.toContain('s3cret');
    const broken = problems(parseConfig(`${MINIMAL}notify:\n  mail:\n    password: "s3cret-pass\n`, BASE));
    expect(broken[0]?.key).toBe('(yaml)');
    expect(JSON.stringify(broken)).not.toContain('s3cret');
  });

  it('names unknown keys and suggests the close one', () => {
    expect(problemOf(`${MINIMAL}prot: 80\n`, 'prot')).toBe("is not a known key; did you mean 'port'?");
    expect(problemOf(`${MINIMAL}datapath: x\n`, 'datapath')).toContain("did you mean 'dataPath'?");
    expect(problemOf(`${MINIMAL}trustPath: x\n`, 'trustPath')).toContain("did you mean 'trust'?");
    expect(problemOf(`${MINIMAL}notify: { mail: { host: h.example.com, to: [a@b.co], passwd: x } }\n`, 'notify.mail.passwd')).toContain(
      "did you mean 'password'?",
    );
    expect(problemOf(`${MINIMAL}colour: blue\n`, 'colour')).toMatch(/^is not a known key; known keys here: name, host, port/);
  });

  it('accepts the PascalCase spellings of the seed product, and refuses a key given in both spellings', () => {
    const loaded = config(`
Name: lm-1
Host: 127.0.0.1
Port: 9200
Timeout: 3000
DataPath: /data
trust: /trust.json
Notify:
  Mail:
    Host: smtp.example.com
    Port: 465
    User: lm
    Password: pw
    To: [ops@example.com, sec@example.com]
Log:
  Mode: file
  Path: /logs
  Level: warn
  KeepDays: 3
`);
    expect(loaded).toMatchObject({ name: 'lm-1', host: '127.0.0.1', port: 9200, timeoutMs: 3000, dataPath: resolve('/data') });
    expect(loaded.notify.mail).toMatchObject({ host: 'smtp.example.com', port: 465, user: 'lm', password: 'pw' });
    expect(loaded.notify.mail?.to).toEqual(['ops@example.com', 'sec@example.com']);
    expect(loaded.log).toEqual({ mode: 'file', path: resolve('/logs'), level: 'warn', keepDays: 3 });
    expect(problemOf(`${MINIMAL}port: 1\nPort: 2\n`, 'port')).toBe("is given twice, as 'port' and 'Port'; keep one");
  });

  it('reports a YAML syntax error with its line and column', () => {
    const found = problems(parseConfig('dataPath: /data\ntrust: [a, b\nport: 1\n', BASE));
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((problem) => problem.key === '(yaml)')).toBe(true);
    expect(found[0]?.message).toMatch(/^line \d+, column \d+: \S/);
    expect(problems(parseConfig('port: 1\nport: 2\n', BASE))[0]?.message).toMatch(/^line 2, column 1: .*unique/);
  });

  it('explains an empty file, a top level that is not a mapping and a section that is not a mapping', () => {
    for (const text of ['', '# only a comment\n']) {
      expect(problems(parseConfig(text, BASE))).toEqual([
        { key: '(yaml)', message: "the configuration is empty; it needs at least 'dataPath' and 'trust'" },
      ]);
    }
    expect(problems(parseConfig('- dataPath\n- trust\n', BASE))[0]?.message).toContain('(got a list)');
    // One problem for the section, not one more for each key it then lacks.
    expect(problems(parseConfig(`${MINIMAL}center: https://center.example.com\nnotify: { mail: yes }\n`, BASE))).toEqual([
      { key: 'center', message: 'must be a mapping of keys (like "url: ...") (got "https://center.example.com")' },
      { key: 'notify.mail', message: 'must be a mapping of keys (like "host: ...") (got "yes")' },
    ]);
  });

  it('does not throw on hostile or odd input', () => {
    for (const text of ['a: *nowhere\n', '--- 1\n--- 2\n', '"just text"', 'dataPath: [1, {a: b}]\ntrust: {x: 1}\n', '? [a]\n: b\n']) {
      expect(parseConfig(text, BASE).ok, text).toBe(false);
    }
  });

  it('checks mail addresses, the password without a user and the listen host', () => {
    const base = `${MINIMAL}notify:\n  mail: { host: smtp.example.com, to: [a@b.co]`;
    expect(problemOf(`${base}, from: "nobody" }\n`, 'notify.mail.from')).toContain('(got "nobody")');
    expect(config(`${base}, from: "License Manager <lm@example.com>" }\n`).notify.mail?.from).toBe('License Manager <lm@example.com>');
    expect(problemOf(`${MINIMAL}notify: { mail: { host: smtp.example.com, to: [] } }\n`, 'notify.mail.to')).toContain('at least one');
    expect(problemOf(`${base}, password: pw }\n`, 'notify.mail.password')).toBe("is set but 'user' is not; set both or neither");
    expect(problemOf(`${MINIMAL}host: "localhost:9119"\n`, 'host')).toContain("the port goes in 'port'");
    expect(config(`${MINIMAL}host: "::1"\n`).host).toBe('::1');
  });
});

describe('parseConfig: properties', () => {
  const value = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
  const keys = ['port', 'Port', 'host', 'dataPath', 'trust', 'center', 'notify', 'log', 'prot', 'Timeout', 'fingerprint'];

  it('never throws, on any text and on any mapping of near-valid keys', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseConfig(text, BASE);
        expect(result.ok || result.problems.length > 0).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), value), (mapping) => {
        const result = parseConfig(JSON.stringify(mapping), BASE);
        expect(result.ok || result.problems.every((problem) => problem.key !== '' && problem.message !== '')).toBe(true);
      }),
    );
  });

  it('never echoes a mail password, whatever else is wrong', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,30}$/);
    const numeric = fc.integer({ min: 1_000_000_000, max: Number.MAX_SAFE_INTEGER });
    const mail = fc.dictionary(fc.constantFrom('host', 'port', 'user', 'to', 'from', 'secure'), value);
    fc.assert(
      fc.property(secret, numeric, mail, (password, digits, others) => {
        const cases: [unknown, string][] = [
          [password, password],
          [digits, String(digits)],
          [[password], password],
          [{ password }, password],
        ];
        for (const [pass, shown] of cases) {
          const result = parseConfig(JSON.stringify({ dataPath: 1, notify: { mail: { ...others, password: pass } } }), BASE);
          expect(JSON.stringify(result.ok ? [] : result.problems)).not.toContain(shown);
        }
      }),
    );
  });
});

describe('loadConfig', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  function tempFolder(): string {
    const folder = mkdtempSync(join(tmpdir(), 'tessera-config-'));
    folders.push(folder);
    return folder;
  }

  it('reads a real file and resolves relative paths against its folder', () => {
    const folder = tempFolder();
    mkdirSync(join(folder, 'conf'));
    const file = join(folder, 'conf', 'tessera-lm.yaml');
    writeFileSync(file, '\uFEFFdataPath: ../state\ntrust: trust.json\nport: 9300\n');
    const result = loadConfig(file);
    expect(result).toMatchObject({
      ok: true,
      config: { port: 9300, dataPath: join(folder, 'state'), trustPath: join(folder, 'conf', 'trust.json') },
    });
  });

  it('reports a missing file as one problem naming the path', () => {
    const file = join(tempFolder(), 'missing.yaml');
    const result = loadConfig(file);
    expect(problems(result)).toEqual([
      { key: '(file)', message: `cannot read ${file}: there is no such file; check the path, or pass another file with --config` },
    ]);
  });

  it('reads the example config of deploy/ as documented', () => {
    const result = loadConfig(fileURLToPath(new URL('../../../deploy/tessera-lm.example.yaml', import.meta.url)));
    expect(result).toMatchObject({
      ok: true,
      config: { dataPath: resolve('/var/lib/tessera-lm'), trustPath: resolve('/etc/tessera-lm/trust-bundle.json'), port: 9119 },
    });
  });

  it('reports a folder given as the file', () => {
    const folder = tempFolder();
    expect(problems(loadConfig(folder))[0]).toMatchObject({ key: '(file)', message: expect.stringContaining('is a folder') });
  });

  it('reads the vendor (name and support address, both optional), and refuses what is not one', () => {
    expect(config(MINIMAL).vendor).toEqual({ name: null, supportEmail: null });
    expect(config(`${MINIMAL}vendor:\n  name: Acme Software\n  supportEmail: help@acme.example\n`).vendor).toEqual({
      name: 'Acme Software',
      supportEmail: 'help@acme.example',
    });
    expect(problemOf(`${MINIMAL}vendor:\n  supportEmail: not-an-address\n`, 'vendor.supportEmail')).toMatch(/must be a mail address/);
    expect(problemOf(`${MINIMAL}vendor:\n  name: "${'x'.repeat(61)}"\n`, 'vendor.name')).toMatch(/at most 60 characters/);
  });
});
