/**
 * Trust rooted in the product (DESIGN decision 8), as the License Manager holds it: the trust file v2, pinned roots
 * (a file narrows trust, never widens it), plain v1 files of earlier releases, and the newest root-signed bundle it
 * has seen (from the file, a sync answer or `load`), kept across restarts and never given up for a lower serial.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { endorseRoot, generateOnlineKey, generateSigningKey, issueLicense, serializeTrustBundle, signTrustBundle } from '@tessera/core';
import type { LicenseInput, SigningKey } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { startFakeCenter } from './support/fake-center.js';
import type { FakeCenter } from './support/fake-center.js';
import { admin, call, DAY, entriesOf, licenseFor, makeRoot, makeWorld, signedBundle, start, T0, trustFile } from './support/world.js';
import type { World } from './support/world.js';

const worlds: World[] = [];
const daemons: Daemon[] = [];
const centers: FakeCenter[] = [];
afterEach(async () => {
  for (const lm of daemons.splice(0)) await lm.close();
  for (const center of centers.splice(0)) await center.close();
  for (const world of worlds.splice(0)) world.cleanup();
});

function track(world: World): World {
  worlds.push(world);
  return world;
}

/** Starts an LM whose warnings are kept, to assert on what it tells the operator. */
async function open(world: World): Promise<{ lm: Daemon; warnings: string[] }> {
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg as string) });
  const lm = await start(world, { logger });
  daemons.push(lm);
  return { lm, warnings };
}

async function stop(lm: Daemon): Promise<void> {
  await lm.close();
  daemons.splice(daemons.indexOf(lm), 1);
}

function signedBy(key: SigningKey, lmid: string, change: Partial<LicenseInput> = {}): string {
  const text = issueLicense(
    {
      id: 'lic_lmtest',
      serial: 1,
      product: 'graphdb',
      customer: { id: 'cus_1', name: 'Test Customer' },
      nodes: { query: 2 },
      limits: {},
      features: [],
      issuedAt: new Date(T0 - DAY).toISOString(),
      startsAt: new Date(T0 - DAY).toISOString(),
      expiresAt: new Date(T0 + 365 * DAY).toISOString(),
      mode: 'offline',
      lmid,
      ...change,
    },
    key,
  );
  if (!text.ok) throw new Error(text.detail);
  return text.value;
}

const trustOf = async (lm: Daemon) => (await call(lm, 'GET', '/v1/license')).body.trust as string | null;

describe('the trust file v2', () => {
  it('vouches for the licenses of the keys in its root-signed bundle, and for no other key', async () => {
    const world = track(makeWorld());
    const { lm, warnings } = await open(world);
    expect((await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) })).status).toBe(200);
    const stranger = generateSigningKey();
    const refused = await admin(lm, '/v1/admin/load', { key: signedBy(stranger, lm.lmid, { serial: 2 }), force: true });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'UNKNOWN_KEY']);
    expect(warnings).toEqual([]);
  });

  it('with trustRoot set, is refused at start when signed by a root the setting does not name: a file cannot widen trust', async () => {
    const world = track(makeWorld());
    const attacker = makeRoot();
    const own = generateSigningKey();
    // A file naming the customer's own root, whose bundle vouches for a key the customer made.
    writeFileSync(world.trustPath, trustFile(attacker, signedBundle(attacker, 9, entriesOf(own))));
    world.config.trustRoots = [world.root.text];
    await expect(start(world)).rejects.toMatchObject({
      code: 'UNTRUSTED_ROOT',
      message: expect.stringMatching(/trust file .* cannot be used: This trust bundle is signed by root r\w+, which is not a root/),
    });
    // Narrowing is fine: a file that names an extra root but is signed by the pinned one.
    writeFileSync(
      world.trustPath,
      trustFile(world.root, signedBundle(world.root, 1, entriesOf(world.vendor)), [attacker.text, world.root.text]),
    );
    const { lm } = await open(world);
    expect(await trustOf(lm)).toMatch(/^tessera-trust:/);
  });
});

describe('a plain v1 trust file (an LM upgraded from a release before roots)', () => {
  it('keeps working, and says once what products built with a trust root need', async () => {
    const world = track(makeWorld({}, undefined, { trust: 'legacy' }));
    const { lm, warnings } = await open(world);
    expect((await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) })).body).toMatchObject({ status: 'Normal' });
    expect(await trustOf(lm)).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/plain \(v1\) trust bundle, signed by no root: products built with a trust root refuse the licenses/);
    expect(warnings[0]).toMatch(/tessera-center trust-bundle, or set trustRoot/);
  });

  it('cannot replace a root-signed bundle the LM has held: the start is refused with what to do', async () => {
    const world = track(makeWorld());
    const { lm } = await open(world);
    await stop(lm);
    writeFileSync(world.trustPath, serializeTrustBundle(entriesOf(world.vendor, generateSigningKey())));
    await expect(start(world)).rejects.toMatchObject({
      code: 'SUPERSEDED',
      message: expect.stringMatching(
        /already used trust bundle serial 1, but the trust file .* holds a plain \(v1\) bundle and no trust root/,
      ),
    });
  });
});

describe('rotation and roll-back', () => {
  it('takes a newer bundle loaded offline at once: a revoked key ends its license, an added key vouches for the next', async () => {
    const world = track(makeWorld());
    const { lm } = await open(world);
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) });
    const next = generateSigningKey();
    const rotated = signedBundle(world.root, 2, entriesOf([world.vendor, 'revoked'], next));
    expect((await admin(lm, '/v1/admin/load', { key: rotated })).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/info')).body).toMatchObject({ status: 'Invalid', code: 'KEY_REVOKED' });
    expect((await admin(lm, '/v1/admin/load', { key: signedBy(next, lm.lmid, { serial: 2 }) })).body).toMatchObject({ status: 'Normal' });
    expect(await trustOf(lm)).toBe(rotated);

    // Never back: not the older bundle, not after a restart with the older file still in place.
    const older = await admin(lm, '/v1/admin/load', { key: trustFile(world.root, signedBundle(world.root, 1, entriesOf(world.vendor))) });
    expect([older.status, older.body.error.code]).toEqual([403, 'SUPERSEDED']);
    await stop(lm);
    const again = await open(world);
    expect(await trustOf(again.lm)).toBe(rotated);
    expect((await call(again.lm, 'GET', '/v1/info')).body).toMatchObject({ status: 'Normal', serial: 2 });
    expect(again.warnings).toEqual([expect.stringMatching(/holds trust bundle serial 1; this License Manager uses serial 2/)]);
  });

  it('refuses a bundle of another root and a plain v1 bundle through load', async () => {
    const world = track(makeWorld());
    const { lm } = await open(world);
    const foreign = makeRoot();
    const untrusted = await admin(lm, '/v1/admin/load', { key: signedBundle(foreign, 5, entriesOf(generateSigningKey())) });
    expect([untrusted.status, untrusted.body.error.code]).toEqual([403, 'UNTRUSTED_ROOT']);
    const plain = await admin(lm, '/v1/admin/load', { key: serializeTrustBundle(entriesOf(generateSigningKey())) });
    expect([plain.status, plain.body.error.code]).toEqual([400, 'MALFORMED']);
  });

  it('takes the bundle of a sync answer before its license, so a key added by rotation works without a restart', async () => {
    const world = track(makeWorld());
    const center = await startFakeCenter({ vendor: world.vendor, root: world.root, now: () => world.clock.now() });
    centers.push(center);
    world.config.center = { url: center.url };
    const onlineKey = generateOnlineKey();
    const { lm } = await open(world);
    center.addLicense(onlineKey, { ...onlineLicense(lm.lmid) });
    expect((await admin(lm, '/v1/admin/load', { key: onlineKey })).body).toMatchObject({ status: 'Normal', serial: 1 });

    const next = generateSigningKey();
    expect(center.rotate(entriesOf([world.vendor, 'retired'], next))).toBe(2);
    center.setSigningKey(next);
    center.update(onlineKey, { nodes: { query: 5 } });
    expect((await admin(lm, '/v1/admin/sync')).body).toMatchObject({ changed: true, info: { serial: 2, nodes: { query: { total: 5 } } } });
    expect(await trustOf(lm)).toBe(center.bundleText);

    // A License Center restored from an old backup (or a proxy) sending the older bundle changes nothing.
    const current = center.bundleText;
    center.setTrustText(signedBundle(world.root, 1, entriesOf(world.vendor)));
    expect((await admin(lm, '/v1/admin/sync')).status).toBe(200);
    expect(await trustOf(lm)).toBe(current);
  });

  it('follows a root rotation by itself: a bundle signed by the next root, endorsed by the one its file names, after a restart too', async () => {
    const world = track(makeWorld());
    const center = await startFakeCenter({ vendor: world.vendor, root: world.root, now: () => world.clock.now() });
    centers.push(center);
    world.config.center = { url: center.url };
    const onlineKey = generateOnlineKey();
    const { lm } = await open(world);
    center.addLicense(onlineKey, onlineLicense(lm.lmid));
    expect((await admin(lm, '/v1/admin/load', { key: onlineKey })).body).toMatchObject({ status: 'Normal' });

    // The vendor activates its next root: the bundle (a higher serial) is signed by it and carries the chain.
    const next = makeRoot();
    const endorsed = signTrustBundle(
      {
        serial: 5,
        issuedAt: new Date(T0).toISOString(),
        keys: entriesOf(world.vendor),
        endorsements: [endorseRoot(next.text, world.root.signer)],
      },
      next.signer,
    );
    center.setTrustText(endorsed);
    expect((await admin(lm, '/v1/admin/sync')).status).toBe(200);
    expect(await trustOf(lm)).toBe(endorsed);
    // The trust file still names only the old root; the held bundle still verifies after a restart.
    await stop(lm);
    const again = (await open(world)).lm;
    expect(await trustOf(again)).toBe(endorsed);
    expect((await call(again, 'GET', '/v1/info')).body).toMatchObject({ status: 'Normal' });

    // A bundle of a root endorsed by a root of someone else's vouches for nothing.
    const stranger = makeRoot();
    const forged = signTrustBundle(
      {
        serial: 9,
        issuedAt: new Date(T0).toISOString(),
        keys: entriesOf(world.vendor),
        endorsements: [endorseRoot(stranger.text, stranger.signer)],
      },
      stranger.signer,
    );
    center.setTrustText(forged);
    expect((await admin(again, '/v1/admin/sync')).status).toBe(200);
    expect(await trustOf(again)).toBe(endorsed);
  });

  it('ignores, and reports, a bundle in a sync answer that its roots do not vouch for, and still takes the license', async () => {
    const world = track(makeWorld());
    world.config.trustRoots = [world.root.text];
    const center = await startFakeCenter({ vendor: world.vendor, root: makeRoot(), now: () => world.clock.now() });
    centers.push(center);
    world.config.center = { url: center.url };
    const onlineKey = generateOnlineKey();
    const { lm, warnings } = await open(world);
    center.addLicense(onlineKey, onlineLicense(lm.lmid));
    expect((await admin(lm, '/v1/admin/load', { key: onlineKey })).body).toMatchObject({ status: 'Normal', serial: 1 });
    expect(await trustOf(lm)).not.toBe(center.bundleText);
    expect(warnings).toEqual([
      expect.stringMatching(/The trust bundle in the License Center's answer was not used: .*not a root this product was built with/),
    ]);
  });

  it('with a v1 file and trustRoot, adopts the bundle a sync brings; without trustRoot it cannot check one and keeps the v1 keys', async () => {
    for (const pinned of [true, false]) {
      const world = track(makeWorld({}, undefined, { trust: 'legacy' }));
      const center = await startFakeCenter({ vendor: world.vendor, root: world.root, now: () => world.clock.now() });
      centers.push(center);
      world.config.center = { url: center.url };
      if (pinned) world.config.trustRoots = [world.root.text];
      const onlineKey = generateOnlineKey();
      const { lm } = await open(world);
      center.addLicense(onlineKey, onlineLicense(lm.lmid));
      expect((await admin(lm, '/v1/admin/load', { key: onlineKey })).body).toMatchObject({ status: 'Normal' });
      expect(await trustOf(lm), `pinned: ${pinned}`).toBe(pinned ? center.bundleText : null);
      await stop(lm);
      // The adopted bundle survives a restart with the v1 file still there (checked with the pinned root).
      const again = await open(world);
      expect(await trustOf(again.lm)).toBe(pinned ? center.bundleText : null);
    }
  });
});

function onlineLicense(lmid: string): LicenseInput {
  return {
    id: 'lic_online',
    serial: 1,
    product: 'graphdb',
    customer: { id: 'cus_1', name: 'Online Customer' },
    nodes: { query: 2 },
    limits: {},
    features: [],
    issuedAt: new Date(T0 - DAY).toISOString(),
    startsAt: new Date(T0 - DAY).toISOString(),
    expiresAt: new Date(T0 + 300 * DAY).toISOString(),
    mode: 'online',
    lmid,
  };
}
