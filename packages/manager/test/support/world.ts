/**
 * Test worlds for the License Manager: a vendor key with its trust bundle on disk, a temporary data path, a
 * config, and the real daemon on port 0 (in this process, with a clock the test moves).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generateSigningKey, issueLicense, serializeTrustBundle } from '@tessera/core';
import type { LicenseInput, SigningKey } from '@tessera/core';
import { ManualClock } from '../../src/clock.js';
import type { LmConfig } from '../../src/config.js';
import { startDaemon } from '../../src/daemon.js';
import type { Daemon, DaemonOptions } from '../../src/daemon.js';

export const T0 = Date.parse('2026-11-24T12:00:00Z');
export const DAY = 86_400_000;

export interface World {
  dir: string;
  vendor: SigningKey;
  trustPath: string;
  config: LmConfig;
  clock: ManualClock;
  cleanup(): void;
}

export function makeWorld(change: Partial<LmConfig> = {}, vendor: SigningKey = generateSigningKey()): World {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-lm-'));
  const trustPath = join(dir, 'trust-bundle.json');
  writeFileSync(trustPath, serializeTrustBundle([{ kid: vendor.kid, state: 'active', publicKeyRaw: vendor.publicKeyRaw }]));
  const config: LmConfig = {
    name: 'lm-test',
    host: '127.0.0.1',
    port: 0,
    timeoutMs: 5000,
    dataPath: join(dir, 'data'),
    trustPath,
    center: { url: null },
    syncIntervalMinutes: 60,
    leaseTtlSeconds: 30,
    fingerprint: 'host',
    clockToleranceMinutes: 10,
    notify: { mail: null },
    log: { mode: 'console', path: null, level: 'warn', keepDays: 7 },
    ...change,
  };
  return { dir, vendor, trustPath, config, clock: new ManualClock(T0), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
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
export async function call(daemon: Daemon, method: 'GET' | 'POST', path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
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
  return { status: response.status, body: json, headers: response.headers };
}

export function admin(daemon: Daemon, path: string, body: unknown = {}) {
  return call(daemon, 'POST', path, body, daemon.services.adminToken);
}
