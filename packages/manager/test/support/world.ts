/**
 * Test worlds for the License Manager: a vendor root and signing key with the trust file on disk (v2: the root and
 * a root-signed bundle; or a plain v1 bundle, as releases before roots had), a temporary data path, a config, and
 * the real daemon on port 0 (in this process, with a clock the test moves).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { answerProblem } from './lm-openapi.js';
import {
  CODES,
  formatTrustRoot,
  generateEd25519,
  generateSigningKey,
  httpStatusOf,
  issueLicense,
  rawPublicKey,
  rootKidForPublicKey,
  serializeTrustBundle,
  serializeTrustFile,
  signTrustBundle,
} from '@tessera/core';
import type { Code, LicenseInput, Signer, SigningKey, TrustBundleEntry } from '@tessera/core';
import { ManualClock } from '../../src/clock.js';
import type { LmConfig } from '../../src/config.js';
import { startDaemon } from '../../src/daemon.js';
import type { Daemon, DaemonOptions } from '../../src/daemon.js';

export const T0 = Date.parse('2026-11-24T12:00:00Z');
export const DAY = 86_400_000;

/** A vendor root key: what products are built with (`text`) and what signs trust bundles (`signer`). */
export interface TestRoot {
  signer: Signer;
  text: string;
}

export function makeRoot(): TestRoot {
  const { privateKey } = generateEd25519();
  const publicKeyRaw = rawPublicKey(privateKey);
  return { signer: { kid: rootKidForPublicKey(publicKeyRaw), privateKey }, text: formatTrustRoot(publicKeyRaw) };
}

/** The bundle entries for signing keys, all active unless a state is given. */
export function entriesOf(...keys: (SigningKey | [SigningKey, TrustBundleEntry['state']])[]): TrustBundleEntry[] {
  return keys.map((k) => {
    const [key, state] = Array.isArray(k) ? k : [k, 'active' as const];
    return { kid: key.kid, state, publicKeyRaw: key.publicKeyRaw };
  });
}

/** A root-signed trust bundle document (typ 'trust'). */
export function signedBundle(root: TestRoot, serial: number, entries: TrustBundleEntry[], issuedAt = '2026-11-01T00:00:00Z'): string {
  return signTrustBundle({ serial, issuedAt, keys: entries }, root.signer);
}

/** The trust file v2 as `tessera-center trust-bundle` prints it. */
export function trustFile(root: TestRoot, bundle: string, roots: string[] = [root.text]): string {
  return serializeTrustFile(roots, bundle);
}

export interface World {
  dir: string;
  vendor: SigningKey;
  root: TestRoot;
  /** The trust file the LM reads (config.trustPath): v2 with a bundle of serial 1, or a plain v1 bundle. */
  trustPath: string;
  /** A plain v1 bundle of the same vendor key, as products built before roots read it. */
  legacyTrustPath: string;
  config: LmConfig;
  clock: ManualClock;
  cleanup(): void;
}

export interface WorldOptions {
  /** 'signed' (the default): a v2 trust file; 'legacy': a v1 plain bundle, as releases before roots had. */
  trust?: 'signed' | 'legacy';
  root?: TestRoot;
}

export function makeWorld(change: Partial<LmConfig> = {}, vendor: SigningKey = generateSigningKey(), options: WorldOptions = {}): World {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-lm-'));
  const root = options.root ?? makeRoot();
  const trustPath = join(dir, 'trust-bundle.json');
  const legacyTrustPath = join(dir, 'trust-bundle-v1.json');
  writeFileSync(legacyTrustPath, serializeTrustBundle(entriesOf(vendor)));
  writeFileSync(
    trustPath,
    options.trust === 'legacy' ? serializeTrustBundle(entriesOf(vendor)) : trustFile(root, signedBundle(root, 1, entriesOf(vendor))),
  );
  const config: LmConfig = {
    name: 'lm-test',
    host: '127.0.0.1',
    port: 0,
    timeoutMs: 5000,
    dataPath: join(dir, 'data'),
    trustPath,
    trustRoots: null,
    center: { url: null },
    syncIntervalMinutes: 60,
    leaseTtlSeconds: 30,
    seats: { secret: null, checkoutsPerMinute: 600 },
    tls: null,
    fingerprint: 'host',
    clockToleranceMinutes: 10,
    notify: { mail: null },
    log: { mode: 'console', path: null, level: 'warn', keepDays: 7 },
    ...change,
  };
  return {
    dir,
    vendor,
    root,
    trustPath,
    legacyTrustPath,
    config,
    clock: new ManualClock(T0),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const silentLogger = pino({ level: 'silent' });

export function start(world: World, options: Partial<DaemonOptions> = {}): Promise<Daemon> {
  return startDaemon({ config: world.config, clock: world.clock, fingerprint: 'test-host-1', logger: silentLogger, ...options });
}

export function licenseFor(world: World, lmid: string, change: Partial<LicenseInput> = {}): string {
  const result = issueLicense(
    {
      id: 'lic_lmtest',
      serial: 1,
      product: 'graphdb',
      customer: { id: 'cus_1', name: 'Test Customer' },
      nodes: { query: 2, storage: 3 },
      limits: { remote_clusters: 2 },
      features: ['scan'],
      issuedAt: new Date(T0 - DAY).toISOString(),
      startsAt: new Date(T0 - DAY).toISOString(),
      expiresAt: new Date(T0 + 365 * DAY).toISOString(),
      mode: 'offline',
      lmid,
      ...change,
    },
    world.vendor,
  );
  if (!result.ok) throw new Error(result.detail);
  return result.value;
}

/** A small JSON-over-HTTP caller that returns status and body, for asserting on both. */
export async function call(
  daemon: Daemon,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  token?: string,
  extraHeaders: Record<string, string> = {},
) {
  const headers: Record<string, string> = { ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(daemon.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  // Checked on every call: a refusal answers its code's one status (core's table), whatever the route, and every
  // answer is one docs/lm-openapi.yaml describes (status, media type, closed JSON schema).
  const code: unknown = json?.error?.code;
  if (typeof code === 'string' && CODES.includes(code as Code) && httpStatusOf(code as Code) !== response.status) {
    throw new Error(`${method} ${path} answered ${code} with HTTP ${response.status}; core's table says ${httpStatusOf(code as Code)}`);
  }
  const undocumented = answerProblem(method, path, response.status, response.headers.get('content-type'), json);
  if (undocumented) throw new Error(undocumented);
  return { status: response.status, body: json, headers: response.headers };
}

export function admin(daemon: Daemon, path: string, body: unknown = {}) {
  return call(daemon, 'POST', path, body, daemon.services.adminToken);
}
