/**
 * The sync path's in-process copy of license rows (sync-protocol.md, "Cost"): a change made through this
 * instance is seen by the next sync at once; a change made by another instance on the same database within the
 * copy's lifetime (2 s), and not before the copy ends.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSyncRequest } from '@tessera/core';
import { Licenses } from '../src/services/licenses/licenses.js';
import { SyncService } from '../src/services/sync/sync.js';
import { ClockResets } from '../src/services/trust/clock-resets.js';
import { DIALECTS } from './support/databases.js';
import { DAY, makeLm, openLicensing, STAFF, syncAnswer, T0, unwrap } from './support/licensing.js';
import type { Licensing } from './support/licensing.js';

describe.each(DIALECTS)('the sync row copy on %s', (dialect) => {
  let opened: Licensing;
  const clock = { now: () => T0 };
  const masterKey = randomBytes(32);

  beforeAll(async () => {
    opened = await openLicensing(dialect, clock, masterKey);
  });
  afterAll(async () => {
    await opened?.close();
  });

  it('sees its own changes at once and another instance’s within 2 s', async () => {
    const { licenses, keys, handle, audit, catalogue } = opened;
    const other = new Licenses({ db: handle.db, dialect: handle.statements, keys, audit, masterKey, clock });
    let monotonic = 0;
    const sync = new SyncService({
      db: handle.db,
      licenses,
      keys,
      trustBundles: opened.trustBundles,
      clockResets: new ClockResets({ keys, audit, clock }),
      clock,
      monotonic: () => monotonic,
    });
    const product = unwrap(
      await catalogue.createProduct({ slug: 'graphdb', name: 'Graph DB', roles: ['query'], limits: [], features: [] }, STAFF),
    );
    const customer = unwrap(await catalogue.createCustomer({ name: 'Acme' }, STAFF));
    const lm = makeLm();
    const license = unwrap(
      await licenses.createLicense(
        { customerId: customer.id, productId: product.id, nodes: { query: 1 }, startsAt: T0, expiresAt: T0 + 30 * DAY, mode: 'online' },
        STAFF,
      ),
    );
    unwrap(await licenses.bindLmid(license.id, lm.lmid, { customerId: null }, STAFF));
    const onlineKey = unwrap(await licenses.key(license.id, { customerId: null })).key;
    const serialSeen = async (known: number) => {
      const request = buildSyncRequest(
        {
          onlineKey,
          lmid: lm.lmid,
          lmPublicKeyRaw: lm.lmPublicKeyRaw,
          hostDigest: lm.hostDigest,
          known: { licenseId: license.id, serial: known },
          usage: {},
          lmVersion: '0.1.0',
          host: { hostname: 'h', os: 'linux' },
        },
        lm.privateKey,
      );
      const answer = (await syncAnswer(sync, { request })).body as { changed: boolean };
      return answer.changed ? 'changed' : 'unchanged';
    };
    expect(await serialSeen(2)).toBe('unchanged');
    unwrap(await licenses.renew(license.id, 1, STAFF));
    expect(await serialSeen(2)).toBe('changed');
    expect(await serialSeen(3)).toBe('unchanged');
    // Another instance renews: this one may answer from its copy until the copy is 2 s old, not after.
    unwrap(await other.renew(license.id, 1, STAFF));
    monotonic += 1_000;
    expect(await serialSeen(3)).toBe('unchanged');
    monotonic += 1_000;
    expect(await serialSeen(3)).toBe('changed');
    expect(await serialSeen(4)).toBe('unchanged');
  });
});
