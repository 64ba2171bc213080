/**
 * The License Manager's YAML configuration. Reading is split from checking: parseConfig is pure, loadConfig only adds
 * the file read. Every problem is collected and reported at once, because fixing a config one restart at a time is
 * what makes people give up on it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseTrustRoot, SEAT_SECRET } from '@tessera/core';
import { Section, show } from './config-section.js';
import type { ConfigProblem, KeyRules } from './config-section.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface MailConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  password: string | null;
  from: string;
  to: string[];
}

/** The shared PostgreSQL database of License Manager replicas, and the secret every replica is given. */
export interface DatabaseConfig {
  /** postgres://… given in the YAML, or null when urlFile names a file holding it. */
  url: string | null;
  urlFile: string | null;
  poolSize: number;
  /** The HA secret (ha.secret), or null when ha.secretFile names a file holding it. */
  secret: string | null;
  secretFile: string | null;
}

export interface LmConfig {
  name: string;
  host: string;
  port: number;
  timeoutMs: number;
  dataPath: string;
  trustPath: string;
  // The keys below are optional so that a config object built by an embedder (tests, tools) for an earlier
  // release still starts an LM; parseConfig always sets them.
  /** The vendor's root keys (`tessera-root:…`) the trust file must be signed by; null: the roots the file names. */
  trustRoots?: string[] | null;
  center: { url: string | null };
  syncIntervalMinutes: number;
  leaseTtlSeconds: number;
  seats?: { secret: string | null; checkoutsPerMinute: number };
  /** HTTPS instead of HTTP: the certificate and private key files (PEM). */
  tls?: { cert: string; key: string } | null;
  fingerprint: 'host' | 'installation';
  /**
   * Replicas sharing one PostgreSQL database (high availability); null: one License Manager on SQLite in dataPath.
   * The URL (or the file holding it) and the HA secret are read at start, so parseConfig stays free of I/O.
   */
  database?: DatabaseConfig | null;
  clockToleranceMinutes: number;
  notify: { mail: MailConfig | null };
  log: { mode: 'console' | 'file'; path: string | null; level: LogLevel; keepDays: number };
  /**
   * Who sells the product, for people reading the console: shown as written, never trusted. The vendor's package
   * sets it in its lm.yaml; the signed license names the product and the customer, not the vendor.
   */
  vendor?: { name: string | null; supportEmail: string | null };
}

export type { ConfigProblem } from './config-section.js';

export type ConfigResult = { ok: true; config: LmConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * Checkouts per minute per client address. A node checks out when it starts or lost its seat, so even a cluster
 * behind one NAT address restarting at once stays within it (the SDK retries a 429); a flood does not.
 */
export const DEFAULT_CHECKOUTS_PER_MINUTE = 600;

/** The `name` of an LM whose configuration gives none. */
export const DEFAULT_LM_NAME = 'tessera-lm';

/**
 * How the LM names itself in its log, console and mails: "tessera-lm eu-1", or the name alone when it says
 * tessera-lm already (the default name would read "tessera-lm tessera-lm").
 */
export function lmTitle(name: string): string {
  return /^tessera-lm\b/i.test(name) ? name : `tessera-lm ${name}`;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** The keys of each section. Every key is also accepted in PascalCase (`DataPath`), the seed product's spelling. */
const KEYS = {
  top: [
    'name',
    'host',
    'port',
    'timeoutMs',
    'dataPath',
    'trust',
    'trustRoot',
    'center',
    'syncIntervalMinutes',
    'leaseTtlSeconds',
    'seats',
    'tls',
    'fingerprint',
    'database',
    'ha',
    'clockToleranceMinutes',
    'notify',
    'log',
    'vendor',
  ],
  center: ['url'],
  seats: ['secret', 'checkoutsPerMinute'],
  tls: ['cert', 'key'],
  database: ['url', 'urlFile', 'poolSize'],
  ha: ['secret', 'secretFile'],
  notify: ['mail'],
  mail: ['host', 'port', 'secure', 'user', 'password', 'from', 'to'],
  log: ['mode', 'path', 'level', 'keepDays'],
  vendor: ['name', 'supportEmail'],
} as const;

/** Spellings of the seed product that are not simply the PascalCase of our key. */
const EXTRA_ALIASES = new Map([['Timeout', 'timeoutMs']]);

/** Keys whose values never appear in a message. */
const SECRET_KEYS = new Set(['notify.mail.password', 'seats.secret', 'database.url', 'ha.secret']);
const RULES: KeyRules = { aliases: EXTRA_ALIASES, secretKeys: SECRET_KEYS };
/** Long enough that guessing it over the network is hopeless; the SDK sends it, nobody types it. */
const MIN_SEAT_SECRET = 16;
/** The HA secret seals the identity key in the database: as long as the key it protects (256 bits of hex). */
export const MIN_HA_SECRET = 32;

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** Parses and checks config text; relative paths resolve against `baseDir`. Never throws. */
export function parseConfig(yamlText: string, baseDir: string): ConfigResult {
  const problems: ConfigProblem[] = [];
  const raw = readYaml(yamlText, problems);
  if (raw === undefined) return { ok: false, problems };

  const top = Section.read(raw, '', KEYS.top, problems, RULES);
  const dataPath = top.filePath('dataPath', baseDir, 'the folder where the License Manager keeps its state, e.g. /var/lib/tessera-lm');
  const trustPath = top.filePath(
    'trust',
    baseDir,
    "the vendor's trust file (the .json file that came with the product, as tessera-center trust-bundle prints it)",
  );
  const config: LmConfig = {
    name: top.text('name', DEFAULT_LM_NAME) ?? DEFAULT_LM_NAME,
    host: checkHost(top, 'host', top.text('host', '0.0.0.0') ?? '0.0.0.0', '0.0.0.0'),
    port: top.whole('port', 0, 65535, 9119),
    timeoutMs: top.whole('timeoutMs', 1, 600_000, 5000),
    dataPath: dataPath ?? '',
    trustPath: trustPath ?? '',
    trustRoots: readTrustRoots(top),
    center: { url: readCenterUrl(top.child('center', KEYS.center)) },
    syncIntervalMinutes: top.whole('syncIntervalMinutes', 1, 1440, 60),
    leaseTtlSeconds: top.whole('leaseTtlSeconds', 5, 86_400, 60),
    seats: readSeats(top.child('seats', KEYS.seats)),
    tls: readTls(top, baseDir),
    fingerprint: top.choice('fingerprint', ['host', 'installation'] as const, 'host'),
    database: readDatabase(top, baseDir),
    clockToleranceMinutes: top.whole('clockToleranceMinutes', 1, 1440, 10),
    notify: { mail: readMail(top.child('notify', KEYS.notify)) },
    log: readLog(top.child('log', KEYS.log), baseDir),
    vendor: readVendor(top.child('vendor', KEYS.vendor)),
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/** Reads and checks a config file. A missing or unreadable file is one problem with key '(file)'. Never throws. */
export function loadConfig(file: string): ConfigResult {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ key: '(file)', message: describeReadError(path, error) }] };
  }
  return parseConfig(text.replace(/^\uFEFF/, ''), dirname(path));
}

/** The problems as text for a person: a heading naming the file, then one indented line per problem. */
export function formatProblems(file: string, problems: ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((problem) => `  ${problem.key}: ${problem.message}`);
  return [`The configuration ${file} has ${count}:`, ...lines].join('\n');
}

/** The top-level value, or undefined after recording why there is none. */
function readYaml(text: string, problems: ConfigProblem[]): unknown {
  try {
    // logLevel 'error': odd keys become problems below, not process warnings.
    const doc = parseDocument(text, { logLevel: 'error' });
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        // Only the position and the parser's sentence: the source line could hold the mail password.
        const at = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : '';
        const sentence =
          error.code === 'MULTIPLE_DOCS'
            ? "the file holds more than one YAML document (a second '---'); keep one"
            : (error.message.split(' at line ')[0] ?? error.message);
        problems.push({ key: '(yaml)', message: `${at}${sentence}` });
      }
      return undefined;
    }
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) {
      problems.push({ key: '(yaml)', message: "the configuration is empty; it needs at least 'dataPath' and 'trust'" });
      return undefined;
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ key: '(yaml)', message: `the top level must be a mapping of keys like "dataPath: ..." (got ${show(raw)})` });
      return undefined;
    }
    return raw;
  } catch (error) {
    // toJS throws on unresolved or excessive aliases.
    problems.push({ key: '(yaml)', message: `cannot read the YAML: ${error instanceof Error ? error.message : String(error)}` });
    return undefined;
  }
}

/** A host name or IP address alone; one colon means "host:port" (an IPv6 address has at least two). */
function checkHost(section: Section, key: string, host: string, example: string): string {
  if (/[\s/]/.test(host) || host.split(':').length === 2) {
    section.fail(key, `must be only a host name or IP address, like ${example}; the port goes in 'port' (got ${show(host)})`);
  }
  return host;
}

/** The vendor's name (at most 60 characters, no control characters) and support address, both optional. */
function readVendor(vendor: Section): { name: string | null; supportEmail: string | null } {
  let name = vendor.text('name', null);
  if (name !== null && (name.length > 60 || /[\p{Cc}\p{Cf}]/u.test(name))) {
    vendor.fail('name', `must be at most 60 characters without control characters (got ${show(name)})`);
    name = null;
  }
  let supportEmail = vendor.text('supportEmail', null);
  if (supportEmail !== null && !/^[^\s@<>"]{1,64}@[A-Za-z0-9.-]{1,190}$/.test(supportEmail)) {
    vendor.fail('supportEmail', `must be a mail address such as support@vendor.example (got ${show(supportEmail)})`);
    supportEmail = null;
  }
  return { name, supportEmail };
}

function readCenterUrl(center: Section): string | null {
  const text = center.text('url', null);
  if (text === null) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    center.fail('url', `must be a URL like https://license.example.com (got ${show(text)})`);
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    center.fail('url', `must start with https:// or http:// (got ${show(text)})`);
  } else if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    center.fail('url', `must be the License Center's base address, without a query, fragment or user (got ${show(text)})`);
  }
  return text.replace(/\/+$/, '');
}

/** One `tessera-root:…` text or a list of them (several during a root rotation). */
function readTrustRoots(top: Section): string[] | null {
  const raw = top.raw('trustRoot');
  if (raw === undefined) return null;
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) {
    top.fail('trustRoot', "must name at least one root key (tessera-root:…), or be left out to use the trust file's roots");
    return null;
  }
  const roots: string[] = [];
  for (const entry of list) {
    const root = parseTrustRoot(entry);
    if (!root.ok) top.fail('trustRoot', `${root.detail} (got ${show(entry)})`);
    else roots.push((entry as string).trim());
  }
  return roots;
}

function readSeats(seats: Section): NonNullable<LmConfig['seats']> {
  const secret = seats.text('secret', null);
  // Never echo the secret; say only what is wrong with it.
  if (secret !== null && !SEAT_SECRET.test(secret)) {
    seats.fail(
      'secret',
      'must be printable ASCII (letters, digits, punctuation; spaces only inside), at most 1024 characters, as products send it in a header',
    );
  } else if (secret !== null && secret.length < MIN_SEAT_SECRET) {
    seats.fail('secret', `must be at least ${MIN_SEAT_SECRET} characters long (a random one, e.g. from openssl rand -hex 24)`);
  }
  return { secret, checkoutsPerMinute: seats.whole('checkoutsPerMinute', 1, 1_000_000, DEFAULT_CHECKOUTS_PER_MINUTE) };
}

/**
 * `database` and `ha` go together: replicas share the database, and the secret seals the identity in it. The
 * fingerprint has no say then (the LMID is bound to the installation in the database), so setting it is a mistake.
 */
function readDatabase(top: Section, baseDir: string): DatabaseConfig | null {
  if (!top.has('database')) {
    if (top.has('ha')) top.fail('ha', "is set but 'database' is not: replicas share a PostgreSQL database (database.url)");
    return null;
  }
  const database = top.child('database', KEYS.database);
  const ha = top.child('ha', KEYS.ha);
  const url = database.text('url', null);
  const urlFile = database.filePath('urlFile', baseDir);
  if ((url === null) === (urlFile === null)) {
    database.fail(
      url === null ? 'url' : 'urlFile',
      'give the PostgreSQL URL (postgres://user:password@host:5432/database) in url, or the file holding it in urlFile, not both',
    );
  } else if (url !== null && !/^postgres(ql)?:\/\/./.test(url)) {
    database.fail('url', 'must be a PostgreSQL URL like postgres://user:password@host:5432/database (the value is hidden)');
  }
  const secret = ha.text('secret', null);
  const secretFile = ha.filePath('secretFile', baseDir);
  if (!top.has('ha') || (secret === null && secretFile === null)) {
    top.fail(
      'ha',
      `must give the secret every replica shares (ha.secret, or ha.secretFile): at least ${MIN_HA_SECRET} random characters, e.g. from openssl rand -hex 32`,
    );
  } else if (secret !== null && secretFile !== null) {
    ha.fail('secretFile', "is set together with 'secret'; keep one");
  } else if (secret !== null && secret.length < MIN_HA_SECRET) {
    ha.fail('secret', `must be at least ${MIN_HA_SECRET} characters long (a random one, e.g. from openssl rand -hex 32)`);
  }
  if (top.has('fingerprint')) {
    top.fail('fingerprint', 'has no effect with database: the LMID is bound to the installation kept in the database; remove it');
  }
  return { url, urlFile, poolSize: database.whole('poolSize', 2, 100, 10), secret, secretFile };
}

function readTls(top: Section, baseDir: string): LmConfig['tls'] {
  if (!top.has('tls')) return null;
  const tls = top.child('tls', KEYS.tls);
  const cert = tls.filePath('cert', baseDir, 'the certificate file (PEM) the License Manager serves HTTPS with');
  const key = tls.filePath('key', baseDir, "the certificate's private key file (PEM)");
  return cert !== null && key !== null ? { cert, key } : null;
}

function readMail(notify: Section): MailConfig | null {
  if (!notify.has('mail')) return null;
  const mail = notify.child('mail', KEYS.mail);
  const host = checkHost(
    mail,
    'host',
    mail.text('host', '', 'the SMTP server that sends the notification mails') ?? '',
    'smtp.example.com',
  );
  const user = mail.text('user', null);
  const password = mail.text('password', null);
  if (password !== null && user === null) mail.fail('password', "is set but 'user' is not; set both or neither");
  const from = mail.text('from', null);
  if (from !== null && !EMAIL.test(/<([^<>]*)>\s*$/.exec(from)?.[1] ?? from)) {
    mail.fail('from', `must be a mail address like lm@example.com or "License Manager <lm@example.com>" (got ${show(from)})`);
  }
  return {
    host,
    port: mail.whole('port', 1, 65535, 587),
    secure: mail.flag('secure', false),
    user,
    password,
    // Only a sender someone wrote is checked; the default borrows the SMTP server's domain.
    from: from ?? `tessera-lm@${host || 'localhost'}`,
    to: readRecipients(mail),
  };
}

function readRecipients(mail: Section): string[] {
  const raw = mail.raw('to');
  if (raw === undefined) {
    mail.require('to', 'a list of at least one mail address that receives the notifications');
    return [];
  }
  // A single address is accepted as a list of one.
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) mail.fail('to', 'must list at least one mail address (got an empty list)');
  const bad = list.filter((entry) => typeof entry !== 'string' || !EMAIL.test(entry.trim()));
  if (bad.length > 0) {
    mail.fail('to', `must list mail addresses like ops@example.com; not addresses: ${bad.map(show).join(', ')}`);
  }
  return list.filter((entry): entry is string => typeof entry === 'string').map((entry) => entry.trim());
}

function readLog(log: Section, baseDir: string): LmConfig['log'] {
  const mode = log.choice('mode', ['console', 'file'] as const, 'console');
  const required = mode === 'file' ? 'the folder for the log files when mode is file, e.g. /var/log/tessera-lm' : undefined;
  return {
    mode,
    path: log.filePath('path', baseDir, required),
    level: log.choice('level', LOG_LEVELS, 'info'),
    keepDays: log.whole('keepDays', 1, 3650, 7),
  };
}

function describeReadError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `cannot read ${path}: there is no such file; check the path, or pass another file with --config`;
  if (code === 'EISDIR') return `cannot read ${path}: it is a folder, not a config file`;
  if (code === 'EACCES' || code === 'EPERM') return `cannot read ${path}: permission denied; check the file's owner and mode`;
  return `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`;
}
