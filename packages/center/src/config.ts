/**
 * License Center configuration: command-line flags and environment variables. The only place that reads
 * process.env. Every problem is reported at once, with the flag or variable it came from.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { readBrand } from './config-brand.js';
import type { Brand } from './services/brand/brand-rules.js';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  password: string | null;
}

export interface CenterConfig {
  dataDir: string;
  /** null: the embedded SQLite database in dataDir. */
  databaseUrl: string | null;
  host: string;
  port: number;
  /** The address customers and LMs reach, for links in mails. */
  publicUrl: string;
  masterKey: Uint8Array;
  masterKeySource: 'environment' | 'file';
  smtp: SmtpSettings | null;
  /** MAIL_FROM as set ("Name <address>" or an address), or null: the brand's name and licensing@ the public host. */
  mailFrom: string | null;
  /** The vendor's brand from TESSERA_BRAND_* and TESSERA_SUPPORT_EMAIL; the staff portal's settings override it. */
  brand: Brand;
  /** Where mails are written as .eml files without SMTP: DATA/outbox (tessera-center mail list|show reads them). */
  outboxDir: string;
  /** TESSERA_LOG_FORMAT: one JSON object a line, or lines for a person; 'auto' is pretty on a terminal only. */
  logFormat: 'json' | 'pretty' | 'auto';
  /** How many times staff may rebind a license to another LMID in a year. */
  rebindsPerYear: number;
  instanceId: string;
  /** Fastify's trustProxy: false, true, a hop count, or addresses/CIDRs of the proxies whose X-Forwarded-For is believed. */
  trustProxy: boolean | number | string[];
  /** Requests a minute: LM syncs per client address and per online key, key reads per user. */
  limits: { syncPerAddress: number; syncPerKey: number; keyReadsPerUser: number };
  /** The built portal (apps/portal/dist) to serve; null: the one next to this package in the repository. */
  portalDir: string | null;
  aws: AwsMarketplaceConfig;
  packages: PackagesConfig;
  /** How often a round of background jobs (mail delivery, renewals, notices) runs (TESSERA_JOB_PERIOD_MS). */
  jobs: { periodMs: number };
  /**
   * Who may read GET /metrics: clients whose address is in `allow` (addresses or CIDRs, TESSERA_METRICS_ALLOW,
   * loopback by default), or that send `Authorization: Bearer <token>` (TESSERA_METRICS_TOKEN, none by default).
   */
  metrics: { allow: string[]; token: string | null };
  database: DatabaseTimeouts;
  /** Password hashes (argon2id, 64 MiB each) run at once, and callers waiting for one; more are answered RATE_LIMITED. */
  passwordHashing: { concurrency: number; queue: number };
}

/**
 * Bounds on waiting for the database, so a stuck connection or lock shows as a logged timeout instead of a silent
 * stall: for a pooled connection (PostgreSQL) or the write lock (SQLite), and for one statement (PostgreSQL).
 */
export interface DatabaseTimeouts {
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
}

/** Installation packages (services/packages/). */
export interface PackagesConfig {
  /** Where package files are kept; several instances must share it (a shared volume). */
  dir: string;
  /** The largest upload accepted, in bytes. */
  maxBytes: number;
  /** How long a signed download link works. */
  linkMinutes: number;
}

/** How one AWS Marketplace product code becomes an LC product's license. */
export interface MarketplaceProduct {
  /** The LC product: its slug (graphdb) or id (prd_…). */
  product: string;
  /** Contract dimension → node role, e.g. { "query_nodes": "query" }. */
  dimensions: Record<string, string>;
  /** null: inferred from the entitlement's expiry (up to 45 days: 1m, else 1y). */
  term: '1m' | '1y' | null;
}

/** AWS Marketplace SaaS contracts (services/marketplace/). */
export interface AwsMarketplaceConfig {
  region: string;
  /** null: AWS's own endpoints. Both APIs are called at this URL when set (a test server, a VPC endpoint). */
  endpoint: string | null;
  /** By AWS product code. Empty: marketplace registration answers that no product is configured. */
  products: Record<string, MarketplaceProduct>;
  /**
   * SNS signing certificates and SubscribeURLs are fetched only from URLs matching this, and only from SNS's own
   * hosts (https://sns.<region>.amazonaws.com[.cn]) or the origin of `endpoint` (sns-messages.ts).
   */
  certUrlPattern: RegExp;
  /** Accept SignatureVersion 1 (SHA1withRSA) notifications too (TESSERA_SNS_ALLOW_SHA1); version 2 always. */
  allowSha1: boolean;
  /** Notifications are accepted only from topics matching this (AWS Marketplace's own by default). */
  topicPattern: RegExp;
  /** Where a marketplace customer's RENEW leads: their subscriptions on AWS Marketplace (TESSERA_AWS_MARKETPLACE_RENEW_URL). */
  renewUrl: string;
}

export interface CenterFlags {
  data?: string;
  host?: string;
  port?: string;
}

export type ConfigResult = { ok: true; config: CenterConfig } | { ok: false; problems: string[] };

const MASTER_KEY_FILE = 'master.key';

export function loadCenterConfig(flags: CenterFlags, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const problems: string[] = [];
  const dataDir = resolve(flags.data ?? env.TESSERA_DATA ?? './data');
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^(postgres(ql)?:\/\/|sqlite:)/.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// URL, or unset for the embedded SQLite database.');
  }
  const host = flags.host ?? env.TESSERA_HOST ?? '127.0.0.1';
  const portText = flags.port ?? env.PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) problems.push(`--port must be a port number from 0 to 65535 (got "${portText}").`);
  const publicUrl = (env.TESSERA_PUBLIC_URL ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(publicUrl)) problems.push('TESSERA_PUBLIC_URL must be an http(s) URL.');
  const smtp = readSmtp(env.SMTP_URL, problems);
  const rebinds = Number(env.TESSERA_REBINDS_PER_YEAR ?? '3');
  if (!Number.isInteger(rebinds) || rebinds < 0 || rebinds > 100)
    problems.push('TESSERA_REBINDS_PER_YEAR must be a whole number from 0 to 100.');

  const brand = readBrand(env, problems);
  const logFormat = env.TESSERA_LOG_FORMAT?.trim() || 'auto';
  if (logFormat !== 'json' && logFormat !== 'pretty' && logFormat !== 'auto')
    problems.push(`TESSERA_LOG_FORMAT must be json, pretty or auto (got "${logFormat}").`);

  const trustProxy = readTrustProxy(env.TESSERA_TRUST_PROXY, problems);
  const metrics = readMetricsAccess(env, problems);
  const limits = {
    syncPerAddress: readPerMinute(env, 'TESSERA_SYNC_PER_ADDRESS', 600, problems),
    syncPerKey: readPerMinute(env, 'TESSERA_SYNC_PER_KEY', 30, problems),
    keyReadsPerUser: readPerMinute(env, 'TESSERA_KEY_READS_PER_USER', 30, problems),
  };

  const jobs = { periodMs: readWhole(env, 'TESSERA_JOB_PERIOD_MS', 5_000, [10, 3_600_000], problems, 'milliseconds') };
  const database = {
    acquireTimeoutMs: readWhole(env, 'TESSERA_DB_ACQUIRE_TIMEOUT_MS', 10_000, [10, 600_000], problems, 'milliseconds'),
    statementTimeoutMs: readWhole(env, 'TESSERA_DB_STATEMENT_TIMEOUT_MS', 30_000, [10, 3_600_000], problems, 'milliseconds'),
  };
  const passwordHashing = {
    concurrency: readWhole(env, 'TESSERA_PASSWORD_HASH_CONCURRENCY', 2, [1, 64], problems),
    queue: readWhole(env, 'TESSERA_PASSWORD_HASH_QUEUE', 64, [0, 10_000], problems),
  };
  const aws = readAwsMarketplace(env, problems);
  const packages = readPackages(env, dataDir, problems);

  let masterKey: Uint8Array | null = null;
  let masterKeySource: CenterConfig['masterKeySource'] = 'file';
  if (env.TESSERA_MASTER_KEY) {
    masterKeySource = 'environment';
    const key = Buffer.from(env.TESSERA_MASTER_KEY.trim(), 'base64url');
    if (key.length !== 32)
      problems.push(
        'TESSERA_MASTER_KEY must be 32 random bytes in base64url (43 characters); make one with: openssl rand -base64 32 | tr "+/" "-_" | tr -d "="',
      );
    else masterKey = key;
  }
  if (problems.length) return { ok: false, problems };
  if (!masterKey) {
    const loaded = masterKeyFromFile(dataDir);
    if (typeof loaded === 'string') return { ok: false, problems: [loaded] };
    masterKey = loaded;
  }
  return {
    ok: true,
    config: {
      dataDir,
      databaseUrl,
      host,
      port,
      publicUrl,
      masterKey,
      masterKeySource,
      smtp,
      outboxDir: join(dataDir, 'outbox'),
      logFormat: logFormat as CenterConfig['logFormat'],
      mailFrom: env.MAIL_FROM?.trim() || null,
      brand,
      rebindsPerYear: rebinds,
      instanceId: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
      trustProxy,
      metrics,
      limits,
      portalDir: env.TESSERA_PORTAL_DIR?.trim() ? resolve(env.TESSERA_PORTAL_DIR.trim()) : null,
      aws,
      packages,
      jobs,
      database,
      passwordHashing,
    },
  };
}

const DEFAULT_PACKAGE_MAX_BYTES = 2 * 1024 ** 3;

/** The packages folder (default DATA/packages), the upload limit (2 GiB) and the download links' lifetime (15 minutes). */
function readPackages(env: NodeJS.ProcessEnv, dataDir: string, problems: string[]): PackagesConfig {
  const dir = env.TESSERA_PACKAGES_DIR?.trim() ? resolve(env.TESSERA_PACKAGES_DIR.trim()) : join(dataDir, 'packages');
  const maxText = env.TESSERA_PACKAGE_MAX_BYTES?.trim();
  let maxBytes = DEFAULT_PACKAGE_MAX_BYTES;
  if (maxText) {
    maxBytes = Number(maxText);
    if (!/^\d{1,15}$/.test(maxText) || maxBytes < 1) {
      problems.push(`TESSERA_PACKAGE_MAX_BYTES must be a whole number of bytes, at least 1 (got "${maxText}"; 2 GiB is 2147483648).`);
      maxBytes = DEFAULT_PACKAGE_MAX_BYTES;
    }
  }
  const minutesText = env.TESSERA_DOWNLOAD_LINK_MINUTES?.trim();
  let linkMinutes = 15;
  if (minutesText) {
    linkMinutes = Number(minutesText);
    if (!/^\d{1,4}$/.test(minutesText) || linkMinutes < 1 || linkMinutes > 1440) {
      problems.push(`TESSERA_DOWNLOAD_LINK_MINUTES must be a whole number of minutes from 1 to 1440 (got "${minutesText}").`);
      linkMinutes = 15;
    }
  }
  return { dir, maxBytes, linkMinutes };
}

/**
 * Behind a reverse proxy the client address (for throttling and the log) is in X-Forwarded-For; it is believed
 * only from the proxies named here. Unset: not at all.
 */
function readTrustProxy(value: string | undefined, problems: string[]): CenterConfig['trustProxy'] {
  const text = value?.trim();
  if (!text || text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const entries = text.split(',').map((e) => e.trim());
  if (entries.every((e) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(e))) return entries;
  problems.push('TESSERA_TRUST_PROXY must be true, false, a hop count, or comma-separated proxy addresses or CIDRs (10.0.0.0/8,::1).');
  return false;
}

function readMetricsAccess(env: NodeJS.ProcessEnv, problems: string[]): CenterConfig['metrics'] {
  const allow = (env.TESSERA_METRICS_ALLOW ?? '127.0.0.0/8,::1/128')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of allow) {
    const [address, bits, more] = entry.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    if (family === 0 || more !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max)))
      problems.push(`TESSERA_METRICS_ALLOW must be comma-separated addresses or CIDRs (127.0.0.0/8,10.0.0.0/8); "${entry}" is not one.`);
  }
  const token = env.TESSERA_METRICS_TOKEN?.trim() || null;
  if (token !== null && token.length < 16) problems.push('TESSERA_METRICS_TOKEN must be at least 16 characters.');
  return { allow, token };
}

const DEFAULT_CERT_URL_PATTERN = '^https://sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/';
const DEFAULT_TOPIC_PATTERN = '^arn:aws:sns:us-east-1:287250355862:aws-mp-(entitlement|subscription)-notification-';

/** Region, endpoint and product mapping of AWS Marketplace; credentials come from the AWS SDK's own chain (AWS_* variables, profiles, roles). */
function readAwsMarketplace(env: NodeJS.ProcessEnv, problems: string[]): AwsMarketplaceConfig {
  // The Entitlement Service is only in us-east-1.
  const region = env.TESSERA_AWS_REGION?.trim() || 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    problems.push(`TESSERA_AWS_REGION must be an AWS region such as us-east-1 (got "${region}").`);
  const endpoint = env.TESSERA_AWS_ENDPOINT?.trim().replace(/\/+$/, '') || null;
  if (endpoint !== null && !/^https?:\/\/[^\s/]+$/.test(endpoint))
    problems.push('TESSERA_AWS_ENDPOINT must be an http(s) URL without a path, e.g. https://vpce-example.amazonaws.com.');
  const pattern = (name: string, fallback: string): RegExp => {
    const text = env[name]?.trim() || fallback;
    try {
      return new RegExp(text);
    } catch {
      problems.push(`${name} must be a regular expression (got "${text}").`);
      return new RegExp(fallback);
    }
  };
  return {
    region,
    endpoint,
    products: readMarketplaceProducts(env.TESSERA_AWS_MARKETPLACE_PRODUCTS, problems),
    certUrlPattern: pattern('TESSERA_SNS_CERT_URL_PATTERN', DEFAULT_CERT_URL_PATTERN),
    allowSha1: readSwitch(env, 'TESSERA_SNS_ALLOW_SHA1', problems),
    topicPattern: pattern('TESSERA_SNS_TOPIC_PATTERN', DEFAULT_TOPIC_PATTERN),
    renewUrl: readRenewUrl(env.TESSERA_AWS_MARKETPLACE_RENEW_URL, problems),
  };
}

/** AWS Marketplace's "Manage subscriptions" page by default, where a buyer renews or changes a SaaS contract. */
function readRenewUrl(text: string | undefined, problems: string[]): string {
  const url = text?.trim() || 'https://aws.amazon.com/marketplace/library';
  if (/^https:\/\/[^\s]+$/.test(url)) return url;
  problems.push('TESSERA_AWS_MARKETPLACE_RENEW_URL must be an https URL.');
  return 'https://aws.amazon.com/marketplace/library';
}

/** {"<product code>": {"product": "graphdb", "dimensions": {"query_nodes": "query"}, "term": "1y"}, ...} */
function readMarketplaceProducts(text: string | undefined, problems: string[]): Record<string, MarketplaceProduct> {
  const name = 'TESSERA_AWS_MARKETPLACE_PRODUCTS';
  if (!text?.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`${name} must be JSON: {"<product code>": {"product": "graphdb", "dimensions": {"query_nodes": "query"}}}.`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`${name} must be a JSON object of AWS product codes.`);
    return {};
  }
  const products: Record<string, MarketplaceProduct> = {};
  for (const [code, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const dimensions = e.dimensions as Record<string, unknown> | undefined;
    const term = e.term ?? null;
    if (!/^[A-Za-z0-9]{1,255}$/.test(code)) problems.push(`${name}: "${code}" is not an AWS product code.`);
    else if (typeof e.product !== 'string' || e.product.trim() === '')
      problems.push(`${name}: ${code} needs "product" (an LC product slug or id).`);
    else if (
      typeof dimensions !== 'object' ||
      dimensions === null ||
      Object.keys(dimensions).length === 0 ||
      Object.values(dimensions).some((role) => typeof role !== 'string')
    )
      problems.push(`${name}: ${code} needs "dimensions", an object of contract dimension names to node roles.`);
    else if (term !== null && term !== '1m' && term !== '1y')
      problems.push(`${name}: ${code} has "term" ${String(term)}; use "1m", "1y" or leave it out.`);
    else products[code] = { product: e.product.trim(), dimensions: dimensions as Record<string, string>, term };
  }
  return products;
}

function readPerMinute(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (/^\d{1,9}$/.test(text) && value >= 1) return value;
  problems.push(`${name} must be a whole number of requests a minute, at least 1 (got "${text}").`);
  return fallback;
}

/** A whole number from min to max (`unit`, e.g. "milliseconds", names it in the problem); unset gives `fallback`. */
function readWhole(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  [min, max]: [number, number],
  problems: string[],
  unit = '',
): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (/^\d{1,9}$/.test(text) && value >= min && value <= max) return value;
  problems.push(`${name} must be a whole number ${unit ? `of ${unit} ` : ''}from ${min} to ${max} (got "${text}").`);
  return fallback;
}

/** true or false; unset is false. */
function readSwitch(env: NodeJS.ProcessEnv, name: string, problems: string[]): boolean {
  const text = env[name]?.trim().toLowerCase();
  if (!text || text === 'false') return false;
  if (text === 'true') return true;
  problems.push(`${name} must be true or false (got "${env[name]!.trim()}").`);
  return false;
}

/** smtp://user:password@host:587 or smtps://host:465; unset means mails go to the outbox folder. */
function readSmtp(url: string | undefined, problems: string[]): SmtpSettings | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') throw new Error('protocol');
    const secure = parsed.protocol === 'smtps:';
    return {
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
      secure,
      user: parsed.username ? decodeURIComponent(parsed.username) : null,
      password: parsed.password ? decodeURIComponent(parsed.password) : null,
    };
  } catch {
    // The URL may hold a password: never echo it.
    problems.push('SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465.');
    return null;
  }
}

/**
 * Without TESSERA_MASTER_KEY the first start makes a key file in the data directory (mode 0600) so the
 * quickstart needs nothing set up. Production should pass the key in the environment, kept apart from the
 * database it protects.
 */
function masterKeyFromFile(dataDir: string): Uint8Array | string {
  const file = join(dataDir, MASTER_KEY_FILE);
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    return key.length === 32
      ? key
      : `${file} does not hold a 32-byte key; restore it from a backup (the signing keys cannot be opened without it).`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code}.`;
  }
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    writeFileSync(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another instance may have just created it.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return masterKeyFromFile(dataDir);
    return `Cannot create ${file}: ${(error as NodeJS.ErrnoException).code}.`;
  }
}
