/**
 * The License Center as it runs: startCenter (HTTP on port 0, migrated database) and a real License Manager
 * daemon syncing from it through the real route, on both dialects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrustFile } from '@tessera/core';
import { startDaemon } from '@tessera/manager';
import type { Daemon } from '@tessera/manager';
import { loadCenterConfig } from '../src/config.js';
import { startCenter } from '../src/app.js';
import type { Center } from '../src/app.js';
import { checkingSerializer } from './support/answers.js';
import { createTestDatabase, DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const silent = pino({ level: 'silent' });
const DAY = 86_400_000;

describe.each(DIALECTS)('tessera-center serve on %s', (dialect) => {
  let target: TestDatabase;
  let center: Center;
  let lm: Daemon;
  let lmDir: string;

  beforeAll(async () => {
    target = await createTestDatabase(dialect);
    const loaded = loadCenterConfig(
      { data: target.dataDir, host: '127.0.0.1', port: '0' },
      { DATABASE_URL: target.databaseUrl ?? undefined },
    );
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    center = await startCenter(loaded.config, { logger: silent, server: { serializerCompiler: checkingSerializer } });
    lmDir = mkdtempSync(join(tmpdir(), 'tessera-lc-lm-'));
    writeFileSync(join(lmDir, 'trust.json'), await (await fetch(`${center.url}/v1/trust-bundle`)).text());
    lm = await startDaemon({
      logger: silent,
      fingerprint: 'serve-test-host',
      config: {
        name: 'lm-e2e',
        host: '127.0.0.1',
        port: 0,
        timeoutMs: 5000,
        dataPath: join(lmDir, 'data'),
        trustPath: join(lmDir, 'trust.json'),
        center: { url: center.url },
        syncIntervalMinutes: 60,
        leaseTtlSeconds: 60,
        fingerprint: 'host',
        clockToleranceMinutes: 10,
        notify: { mail: null },
        log: { mode: 'console', path: null, level: 'warn', keepDays: 7 },
      },
    });
  });
  afterAll(async () => {
    await lm?.close();
    await center?.close();
    rmSync(lmDir, { recursive: true, force: true });
    await target.drop();
  });

  it('answers health and serves the public trust bundle', async () => {
    const health = await fetch(`${center.url}/health`);
    expect(health.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await health.json()).toEqual({ status: 'ok', database: dialect });
    const file = readTrustFile(await (await fetch(`${center.url}/v1/trust-bundle`)).text());
    expect(file.ok && file.value.kind === 'signed' && file.value.bundle.keys.size).toBe(1);
  });

  it('lets a real License Manager sync its online license through POST /v1/lm/sync, and pick up a renewal', async () => {
    const { licenses, catalogue } = center.services;
    const product = await catalogue.createProduct(
      { slug: 'graphdb', name: 'GraphDB', roles: ['query', 'storage'], limits: [], features: [] },
      'staff:test',
    );
    const customer = await catalogue.createCustomer({ name: 'Acme' }, 'staff:test');
    if (!product.ok || !customer.ok) throw new Error('setup failed');
    const now = Date.now();
    const created = await licenses.createLicense(
      {
        customerId: customer.value.id,
        productId: product.value.id,
        nodes: { query: 2, storage: 3 },
        startsAt: now - DAY,
        expiresAt: now + 90 * DAY,
        mode: 'online',
      },
      'staff:test',
    );
    if (!created.ok) throw new Error(created.detail);
    const licenseId = created.value.id;
    expect((await licenses.bindLmid(licenseId, lm.lmid, { customerId: customer.value.id }, 'user:test')).ok).toBe(true);
    const key = await licenses.key(licenseId, { customerId: customer.value.id });
    if (!key.ok) throw new Error(key.detail);
    expect(key.value.mode).toBe('online');

    const token = lm.services.adminToken;
    const post = (path: string, body: unknown) =>
      fetch(`${lm.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const loaded = (await (await post('/v1/admin/load', { key: key.value.key })).json()) as any;
    expect(loaded).toMatchObject({ status: 'Normal', mode: 'online', licenseId, product: 'graphdb' });
    expect(loaded.nodes.query.total).toBe(2);

    expect((await licenses.renew(licenseId, 12, 'staff:test')).ok).toBe(true);
    expect((await licenses.expand(licenseId, { query: 3 }, 'staff:test')).ok).toBe(true);
    const synced = (await (await post('/v1/admin/sync', {})).json()) as any;
    expect(synced.changed).toBe(true);
    expect(synced.info.nodes.query.total).toBe(5);
    expect(synced.info.serial).toBeGreaterThan(loaded.serial);
  });

  it('answers a bad sync body with the protocol error shape and a request id', async () => {
    const response = await fetch(`${center.url}/v1/lm/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request: 'nonsense' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.error).toMatchObject({ code: expect.stringMatching(/MALFORMED|BAD_REQUEST/), requestId: expect.stringMatching(/^req_/) });
    expect((await fetch(`${center.url}/v1/nope`)).status).toBe(404);
  });
});
