import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildSyncRequest,
  encodeBase64Url,
  generateOnlineKey,
  openVendorDocument,
  parseTrustBundle,
  readLicense,
  sealEnvelope,
  SYNC_PATH,
} from '@tessera/core';
import type { SyncRequestInput, TrustBundle } from '@tessera/core';
import { ManualClock, startDaemon } from '@tessera/manager';
import type { Daemon, LmConfig } from '@tessera/manager';
import type { DatabaseHandle } from '../src/db/connect.js';
import type { Licenses } from '../src/services/licenses/licenses.js';
import type { Catalogue } from '../src/services/catalogue/catalogue.js';
import type { LicenseView } from '../src/services/licenses/licenses.js';
import type { SigningKeys } from '../src/services/trust/signing-keys.js';
import { SyncService } from '../src/services/sync/sync.js';
import { ClockResets } from '../src/services/trust/clock-resets.js';
import { DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import type { TrustBundles } from '../src/services/trust/trust-bundles.js';
import { DAY, makeLm, openLicensing, STAFF, syncAnswer, T0, unwrap } from './support/licensing.js';

type Lm = ReturnType<typeof makeLm>;

function request(lm: Lm, onlineKey: string, change: Partial<SyncRequestInput> = {}): { request: string } {
  const input: SyncRequestInput = {
    onlineKey,
    lmid: lm.lmid,
    lmPublicKeyRaw: lm.lmPublicKeyRaw,
    hostDigest: lm.hostDigest,
    known: null,
    usage: { query: 1 },
    lmVersion: '0.1.0',
    host: { hostname: 'graph-01', os: 'linux x64' },
    ...change,
  };
  return { request: buildSyncRequest(input, lm.privateKey) };
}

describe.each(DIALECTS)('LM sync on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  let keys: SigningKeys;
  let licenses: Licenses;
  let catalogue: Catalogue;
  let trustBundles: TrustBundles;
  let clockResets: ClockResets;
  let sync: SyncService;
  let trust: TrustBundle;
  let productId: string;
  let customerId: string;
  const clock = { at: T0, now: () => clock.at };
  const masterKey = randomBytes(32);

  beforeAll(async () => {
    const opened = await openLicensing(dialect, clock, masterKey);
    trustBundles = opened.trustBundles;
    clockResets = new ClockResets({ keys: opened.keys, audit: opened.audit, clock });
    ({ target, handle, licenses, catalogue } = opened);
    keys = opened.keys;
    trust = unwrap(parseTrustBundle(await keys.trustBundle()));
    productId = unwrap(
      await catalogue.createProduct(
        { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'], limits: [], features: ['scan'] },
        STAFF,
      ),
    ).id;
    customerId = unwrap(await catalogue.createCustomer({ name: 'Acme Corp' }, STAFF)).id;
  });
  afterAll(async () => {
    await handle.close();
    await target.drop();
  });
  beforeEach(() => {
    clock.at = T0;
    sync = new SyncService({ db: handle.db, licenses, keys, trustBundles, clockResets, clock });
  });

  /** An online license, bound to `lm` unless told otherwise; returns it with its online key. */
  const sell = async (lm: Lm | null): Promise<{ license: LicenseView; onlineKey: string }> => {
    const created = unwrap(
      await licenses.createLicense(
        { customerId, productId, nodes: { query: 2, storage: 3 }, startsAt: T0 - DAY, expiresAt: T0 + 365 * DAY, mode: 'online' },
        STAFF,
      ),
    );
    const license = lm ? unwrap(await licenses.bindLmid(created.id, lm.lmid, { customerId }, 'usr_c')) : created;
    return { license, onlineKey: unwrap(await licenses.key(created.id, { customerId })).key };
  };
  const signedSerial = async (id: string) =>
    (await handle.db.selectFrom('licenses').select('signed_serial').where('id', '=', id).executeTakeFirstOrThrow()).signed_serial;

  it('first sync sends the license; the same state again is unchanged, with no verification and no signing', async () => {
    const lm = makeLm();
    const { license, onlineKey } = await sell(lm);
    const first = await syncAnswer(sync, request(lm, onlineKey));
    expect(first.status).toBe(200);
    const body = first.body as { changed: boolean; license: string; time: string; trust: string };
    expect(body.changed).toBe(true);
    expect(unwrap(readLicense(body.license, trust))).toMatchObject({ id: license.id, serial: 2, lmid: lm.lmid, mode: 'online' });
    const time = unwrap(openVendorDocument(body.time, 'sync', trust)).payload;
    expect(time).toMatchObject({ msg: 'time', lcTime: new Date(T0).toISOString() });
    expect(await signedSerial(license.id)).toBe(2);

    const known = request(lm, onlineKey, { known: { licenseId: license.id, serial: 2 } });
    clock.at += 59_999;
    const again = await syncAnswer(sync, known);
    // The root-signed bundle rides along with every answer, signed once.
    expect(body.trust).toMatch(/^tessera-trust:/);
    expect(again).toEqual({ status: 200, body: { changed: false, time: body.time, trust: body.trust } });
    expect(await syncAnswer(sync, known)).toEqual(again);
    expect(sync.stats()).toMatchObject({ verified: 2, cacheHits: 1, timeTokens: 1 });
    // 60 s on, one new time token serves the answers.
    clock.at += 1;
    const later = (await syncAnswer(sync, known)).body as { time: string };
    expect(later.time).not.toBe(body.time);
    expect(unwrap(openVendorDocument(later.time, 'sync', trust)).payload.lcTime).toBe(new Date(T0 + 60_000).toISOString());
    expect(sync.stats()).toMatchObject({ verified: 2, cacheHits: 2, timeTokens: 2 });
  });

  it('a renewal and an expansion reach the LM as a higher serial', async () => {
    const lm = makeLm();
    const { license, onlineKey } = await sell(lm);
    await syncAnswer(sync, request(lm, onlineKey));
    unwrap(await licenses.renew(license.id, 12, STAFF));
    unwrap(await licenses.expand(license.id, { query: 2 }, STAFF));
    const answer = await syncAnswer(sync, request(lm, onlineKey, { known: { licenseId: license.id, serial: 2 } }));
    expect(answer.status).toBe(200);
    const body = answer.body as { changed: boolean; license: string };
    expect(body.changed).toBe(true);
    expect(unwrap(readLicense(body.license, trust))).toMatchObject({ serial: 4, nodes: { query: 4, storage: 3 } });
    // The stored text is reused, not signed again.
    expect((await syncAnswer(sync, request(lm, onlineKey))).body).toMatchObject({ license: body.license });
  });

  it('an LM holding a higher serial than LC gets what LC has, and LC counts it', async () => {
    const lm = makeLm();
    const { license, onlineKey } = await sell(lm);
    const answer = await syncAnswer(sync, request(lm, onlineKey, { known: { licenseId: license.id, serial: 9 } }));
    expect(answer.body).toMatchObject({ changed: true });
    expect(sync.stats().supersededByLm).toBe(1);
  });

  it('refuses by binding: another LMID is 409 LMID_MISMATCH, an unbound license 409 SYNC_REFUSED', async () => {
    const lm = makeLm();
    const { license, onlineKey } = await sell(lm);
    const stranger = makeLm();
    const mismatch = await syncAnswer(sync, request(stranger, onlineKey));
    expect(mismatch.status).toBe(409);
    expect(mismatch.body).toMatchObject({ error: { code: 'LMID_MISMATCH' } });
    const message = (mismatch.body as { error: { message: string } }).error.message;
    expect(message).toContain(lm.lmid);
    expect(message).toContain(stranger.lmid);
    expect(message).not.toContain(onlineKey);

    const unbound = await sell(null);
    const refused = await syncAnswer(sync, request(lm, unbound.onlineKey));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'SYNC_REFUSED' } });
    expect((refused.body as { error: { message: string } }).error.message).toContain('not bound yet');
    expect(await signedSerial(license.id)).toBeNull();
  });

  it('an unknown key and a license that is not active answer 404 NOT_FOUND alike', async () => {
    const lm = makeLm();
    const unknown = await syncAnswer(sync, request(lm, generateOnlineKey()));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const { license, onlineKey } = await sell(lm);
    await handle.db.updateTable('licenses').set({ status: 'ended' }).where('id', '=', license.id).execute();
    const ended = await syncAnswer(sync, request(lm, onlineKey));
    expect(ended).toEqual(unknown);
  });

  it('garbage bodies get 400 with a code, forged identities 401, and nothing throws', async () => {
    const lm = makeLm();
    const { onlineKey } = await sell(lm);
    const valid = request(lm, onlineKey).request;
    const answer = async (body: unknown) => {
      const { status, body: json } = await syncAnswer(sync, body);
      return [status, (json as { error: { code: string } }).error.code];
    };
    for (const body of [undefined, null, 'text', 42, [valid], {}, { request: 5 }, { request: null }]) {
      expect(await answer(body), JSON.stringify(body)).toEqual([400, 'BAD_REQUEST']);
    }
    expect(await answer({ request: 'x'.repeat(64 * 1024 + 1) })).toEqual([400, 'BAD_REQUEST']);
    expect(await answer({ request: '' })).toEqual([400, 'MALFORMED']);
    expect(await answer({ request: 'tessera-sync:12.abc.def' })).toEqual([400, 'MALFORMED']);
    expect(await answer({ request: valid.slice(0, 200) })).toEqual([400, 'MALFORMED']);
    // A license is another kind of document; a time token is a sync document whose msg is not a request.
    const { license } = (await syncAnswer(sync, { request: valid })).body as { license: string; time: string };
    expect(await answer({ request: license })).toEqual([400, 'WRONG_KIND']);
    const { time } = (await syncAnswer(sync, { request: valid })).body as { time: string };
    expect(await answer({ request: time })).toEqual([400, 'MALFORMED']);

    // A signature that does not match.
    const [prefix, payload, signature] = valid.split('.') as [string, string, string];
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    expect(await answer({ request: `${prefix}.${payload}.${flipped}`, extra: 'ignored' })).toEqual([401, 'IDENTITY_UNPROVEN']);
    // An LMID that does not derive from the key and host inside.
    const other = makeLm();
    const forged = sealEnvelope(
      'sync',
      { kid: lm.lmid, privateKey: other.privateKey },
      {
        msg: 'sync-request',
        lmid: lm.lmid,
        lmPublicKey: encodeBase64Url(other.lmPublicKeyRaw),
        hostDigest: encodeBase64Url(other.hostDigest),
        onlineKey,
        known: null,
        usage: {},
        lmVersion: '0.1.0',
        host: { hostname: 'graph-01', os: 'linux x64' },
      },
    );
    expect(await answer({ request: forged })).toEqual([401, 'IDENTITY_UNPROVEN']);
  });

  it('caches verdicts by the request text: identical requests are verified once, in a bounded LRU', async () => {
    sync = new SyncService({ db: handle.db, licenses, keys, trustBundles, clockResets, clock, cacheSize: 2 });
    const lm = makeLm();
    const { onlineKey } = await sell(lm);
    const a = request(lm, onlineKey, { usage: { query: 1 } });
    const b = request(lm, onlineKey, { usage: { query: 2 } });
    const c = request(lm, onlineKey, { usage: { query: 3 } });
    expect(await syncAnswer(sync, a)).toEqual(await syncAnswer(sync, { request: a.request }));
    expect(sync.stats()).toMatchObject({ verified: 1, cacheHits: 1 });
    await syncAnswer(sync, b);
    await syncAnswer(sync, a); // a is now the most recent; b is evicted by c
    await syncAnswer(sync, c);
    expect(sync.stats()).toMatchObject({ verified: 3, cacheHits: 2 });
    await syncAnswer(sync, a);
    expect(sync.stats()).toMatchObject({ verified: 3, cacheHits: 3 });
    await syncAnswer(sync, b);
    expect(sync.stats()).toMatchObject({ verified: 4, cacheHits: 3 });
    // Failures are cached too.
    await syncAnswer(sync, { request: 'tessera-sync:1.x.y' });
    await syncAnswer(sync, { request: 'tessera-sync:1.x.y' });
    expect(sync.stats()).toMatchObject({ verified: 5, cacheHits: 4 });
  });

  it('stores usage only when it changed (last-seen every 5 minutes), and reports an LMID seen from two hosts', async () => {
    const lm = makeLm();
    const { license, onlineKey } = await sell(lm);
    const report = () => handle.db.selectFrom('usage_reports').selectAll().where('license_id', '=', license.id).executeTakeFirstOrThrow();
    await syncAnswer(sync, request(lm, onlineKey, { usage: { storage: 2, query: 1 } }));
    expect(await report()).toEqual({
      license_id: license.id,
      lmid: lm.lmid,
      usage: '{"query":1,"storage":2}',
      host: '{"hostname":"graph-01","os":"linux x64"}',
      lm_version: '0.1.0',
      reported_at: T0,
    });
    clock.at = T0 + 60_000;
    await syncAnswer(sync, request(lm, onlineKey, { usage: { storage: 2, query: 1 } }));
    expect((await report()).reported_at).toBe(T0);
    await syncAnswer(sync, request(lm, onlineKey, { usage: { storage: 3, query: 1 } }));
    expect(await report()).toMatchObject({ usage: '{"query":1,"storage":3}', reported_at: T0 + 60_000 });
    clock.at = T0 + 6 * 60_000;
    await syncAnswer(sync, request(lm, onlineKey, { usage: { storage: 3, query: 1 } }));
    expect((await report()).reported_at).toBe(T0 + 6 * 60_000);

    expect((await sync.likelyClones()).filter((c) => c.lmid === lm.lmid)).toEqual([]);
    // The same identity (a data path copied with an installation fingerprint) syncing from another host.
    await syncAnswer(sync, request(lm, onlineKey, { host: { hostname: 'graph-02', os: 'linux x64' } }));
    expect((await sync.likelyClones()).filter((c) => c.lmid === lm.lmid)).toEqual([{ lmid: lm.lmid, hostnames: ['graph-01', 'graph-02'] }]);
    const sightings = await handle.db.selectFrom('lm_sightings').selectAll().where('lmid', '=', lm.lmid).orderBy('hostname').execute();
    expect(sightings).toEqual([
      { lmid: lm.lmid, hostname: 'graph-01', first_seen: T0, last_seen: T0 + 6 * 60_000 },
      { lmid: lm.lmid, hostname: 'graph-02', first_seen: T0 + 6 * 60_000, last_seen: T0 + 6 * 60_000 },
    ]);
  });

  describe('with a real License Manager', () => {
    let server: Server;
    let centerUrl: string;
    let dir: string;
    let lm: Daemon;
    let lmClock: ManualClock;

    beforeEach(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          void (async () => {
            let answer: { status: number; body: unknown };
            if (req.method !== 'POST' || req.url !== SYNC_PATH)
              answer = { status: 404, body: { error: { code: 'NOT_FOUND', message: 'No route.' } } };
            else {
              let body: unknown;
              try {
                body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              } catch {
                body = undefined;
              }
              answer = await syncAnswer(sync, body);
            }
            res
              .writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
              .end(JSON.stringify(answer.body));
          })();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      centerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      dir = mkdtempSync(join(tmpdir(), 'tessera-lc-lm-'));
      const trustPath = join(dir, 'trust-bundle.json');
      writeFileSync(trustPath, await keys.trustBundle());
      const config: LmConfig = {
        name: 'lm-e2e',
        host: '127.0.0.1',
        port: 0,
        timeoutMs: 5000,
        dataPath: join(dir, 'data'),
        trustPath,
        center: { url: centerUrl },
        syncIntervalMinutes: 60,
        leaseTtlSeconds: 30,
        fingerprint: 'host',
        clockToleranceMinutes: 10,
        notify: { mail: null },
        log: { mode: 'console', path: null, level: 'warn', keepDays: 7 },
      };
      lmClock = new ManualClock(T0);
      lm = await startDaemon({ config, clock: lmClock, fingerprint: 'lc-e2e-host', logger: pino({ level: 'silent' }) });
    });
    afterEach(async () => {
      await lm.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    const admin = async (path: string, body: unknown = {}) => {
      const response = await fetch(lm.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${lm.services.adminToken}` },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };

    it('loads the online key, syncs to Normal, and picks up a renewal and an expansion on sync', async () => {
      const created = unwrap(
        await licenses.createLicense(
          { customerId, productId, nodes: { query: 1, storage: 1 }, startsAt: T0 - DAY, expiresAt: T0 + 365 * DAY, mode: 'online' },
          STAFF,
        ),
      );
      const onlineKey = unwrap(await licenses.key(created.id, { customerId })).key;
      // Not bound yet: LC refuses, the LM waits in Syncing.
      const waiting = await admin('/v1/admin/load', { key: onlineKey });
      expect(waiting.body).toMatchObject({ status: 'Syncing', mode: 'online' });
      expect((await admin('/v1/admin/sync')).body).toMatchObject({ error: { code: 'SYNC_REFUSED' } });

      unwrap(await licenses.bindLmid(created.id, lm.lmid, { customerId }, 'usr_c'));
      const synced = await admin('/v1/admin/sync');
      expect(synced.status).toBe(200);
      expect(synced.body).toMatchObject({
        changed: true,
        info: { status: 'Normal', mode: 'online', licenseId: created.id, serial: 2, product: 'graphdb', customer: 'Acme Corp' },
      });
      expect(synced.body.info.nodes).toMatchObject({ query: { total: 1 }, storage: { total: 1 } });
      expect((await admin('/v1/admin/sync')).body).toMatchObject({ changed: false, info: { serial: 2 } });

      const expiresAt = unwrap(await licenses.renew(created.id, 12, STAFF)).expiresAt;
      unwrap(await licenses.expand(created.id, { query: 2 }, STAFF));
      const changed = await admin('/v1/admin/sync');
      expect(changed.body).toMatchObject({
        changed: true,
        info: { status: 'Normal', serial: 4, expiresAt: new Date(expiresAt).toISOString() },
      });
      expect(changed.body.info.nodes).toMatchObject({ query: { total: 3 }, storage: { total: 1 } });
      // Two states of the LM (holding nothing, holding serial 2): each verified once, its repeats answered from the cache.
      expect(sync.stats()).toMatchObject({ verified: 2, cacheHits: 3 });
      const report = await handle.db.selectFrom('usage_reports').selectAll().where('license_id', '=', created.id).executeTakeFirstOrThrow();
      expect(report.lmid).toBe(lm.lmid);
    });

    it('moves a mark carried forward by a clock set ahead back through the sync: the request names it, the answer resets it', async () => {
      const created = unwrap(
        await licenses.createLicense(
          { customerId, productId, nodes: { query: 1 }, startsAt: T0 - DAY, expiresAt: T0 + 365 * DAY, mode: 'online' },
          STAFF,
        ),
      );
      unwrap(await licenses.bindLmid(created.id, lm.lmid, { customerId }, 'usr_c'));
      const onlineKey = unwrap(await licenses.key(created.id, { customerId })).key;
      expect((await admin('/v1/admin/load', { key: onlineKey })).body).toMatchObject({ status: 'Normal' });
      const info = async () => (await (await fetch(lm.url + '/v1/info')).json()) as { status: string; code: string };
      lmClock.set(T0 + 3 * DAY); // the host's clock set ahead by mistake: the mark follows it
      expect((await info()).status).toBe('Normal');
      lmClock.set(T0 + 60_000); // and set right: it now looks set back
      expect(await info()).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
      clock.at = T0 + 60_000;
      expect((await admin('/v1/admin/sync')).status).toBe(200);
      expect(await info()).toMatchObject({ status: 'Normal' });
      const issued = await handle.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'clock.reset_issued')
        .where('subject', '=', lm.lmid)
        .execute();
      expect(issued.map((row) => [row.actor, JSON.parse(String(row.data))])).toEqual([
        [
          'lm-sync',
          { lmid: lm.lmid, fromHighWater: new Date(T0 + 3 * DAY).toISOString(), toTime: new Date(T0 + 60_000).toISOString(), via: 'sync' },
        ],
      ]);
      // Mended: the next sync asks for nothing, and nothing more is issued.
      expect((await admin('/v1/admin/sync')).status).toBe(200);
      expect(await handle.db.selectFrom('audit_events').select('seq').where('action', '=', 'clock.reset_issued').execute()).toHaveLength(1);
    });
  });
});
