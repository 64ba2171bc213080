/**
 * The way back from a clock set ahead by mistake, which carries the high-water mark forward (every license then
 * looks tampered with once the clock is right again): a vendor-signed clock reset for the exact mark held, which
 * an online LM asks for in its sync request (clockMark) and an offline one through a request code. A signed time
 * token alone never moves the mark back, so a recorded answer served later cannot; a reset never applies twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  deriveLmid,
  fingerprintDigest,
  generateEd25519,
  generateOnlineKey,
  generateSigningKey,
  issueClockReset,
  rawPublicKey,
  parseTrustBundle,
  readClockReset,
  readRequestCode,
  serializeTrustBundle,
} from '@tessera/core';
import type { ClockResetDocument, SigningKey } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { startFakeCenter } from './support/fake-center.js';
import type { FakeCenter } from './support/fake-center.js';
import { admin, call, DAY, entriesOf, makeWorld, licenseFor, start, T0 } from './support/world.js';
import type { World } from './support/world.js';

const HOUR = 3_600_000;
let world: World;
let lm: Daemon;
let center: FakeCenter | null = null;
let events: { event: string; msg: string }[];
afterEach(async () => {
  await lm.close();
  await center?.close();
  center = null;
  world.cleanup();
});

/** Starts the LM of `world`, keeping the events it logs. */
async function open(): Promise<void> {
  events = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void events.push(JSON.parse(line)) });
  lm = await start(world, { logger });
}
const otherLmid = () => deriveLmid(rawPublicKey(generateEd25519().publicKey), fingerprintDigest('another-host'));
const status = async () => (await call(lm, 'GET', '/v1/info')).body as { status: string; code: string };
const unwrapBundle = (text: string) => {
  const bundle = parseTrustBundle(text);
  if (!bundle.ok) throw new Error(bundle.detail);
  return bundle.value;
};
const eventsOf = (kind: string) => events.filter((e) => e.event === kind).map((e) => e.msg);

describe('online: the License Center signed time', () => {
  let lcNow: number;
  const onlineKey = generateOnlineKey();

  async function openOnline(): Promise<void> {
    lcNow = T0;
    world = makeWorld();
    center = await startFakeCenter({ vendor: world.vendor, root: world.root, now: () => lcNow });
    world.config.center = { url: center.url };
    await open();
    center.addLicense(onlineKey, {
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
      lmid: lm.lmid,
    });
    expect((await admin(lm, '/v1/admin/load', { key: onlineKey })).body.status).toBe('Normal');
  }

  it('moves a mark carried forward by a clock set ahead back to its time, and says so', async () => {
    await openOnline();
    expect(center!.requests.map((r) => r.clockMark)).toEqual([null]); // a sound clock sends no mark: the same bytes
    world.clock.set(T0 + 30 * DAY); // set ahead by mistake: the mark follows
    expect((await status()).status).toBe('Normal');
    lcNow = T0 + HOUR;
    world.clock.set(T0 + HOUR); // set right again: now it looks set back
    expect(await status()).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
    expect((await admin(lm, '/v1/admin/sync')).status).toBe(200);
    expect(center!.requests.at(-1)!.clockMark).toBe(new Date(T0 + 30 * DAY).toISOString());
    expect(await status()).toMatchObject({ status: 'Normal' });
    expect(eventsOf('clock.corrected')).toEqual([
      `The clock high-water mark moved back from ${new Date(T0 + 30 * DAY).toISOString()} to the License Center's signed time ${new Date(T0 + HOUR).toISOString()}: a clock set ahead had carried it forward.`,
    ]);
    const { body } = await call(lm, 'GET', '/v1/license?nonce=clock-recovery-nonce-1');
    expect(body.answer).toMatch(/^tessera-answer:/);
  });

  it('never moves the mark back for a signed time alone: an answer recorded earlier and served later is refused', async () => {
    await openOnline();
    // A proxy of the customer's keeps the real answer of a sync at T0 + 1 h from the LM (its vendor-signed time
    // token is newer than any the LM took) and holds it while real time goes on to T0 + 30 days.
    lcNow = T0 + HOUR;
    world.clock.set(T0 + HOUR);
    center!.setWithhold(true);
    await admin(lm, '/v1/admin/sync');
    center!.setWithhold(false);
    const recorded = center!.answers.at(-1)!;
    lcNow = T0 + 30 * DAY;
    world.clock.set(T0 + 30 * DAY);
    expect((await status()).status).toBe('Normal');
    // Then sets the clock back to T0 + 1 h and serves the recorded answer: the mark must stay.
    center!.setReplay(recorded);
    world.clock.set(T0 + HOUR);
    await admin(lm, '/v1/admin/sync');
    expect(await status()).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
    expect(eventsOf('clock.corrected')).toEqual([]);
  });

  it('applies a reset from a sync answer once: served again for a later mark, it is refused with its code', async () => {
    await openOnline();
    world.clock.set(T0 + 30 * DAY);
    await status();
    lcNow = T0 + HOUR;
    world.clock.set(T0 + HOUR);
    await admin(lm, '/v1/admin/sync');
    expect(await status()).toMatchObject({ status: 'Normal' });
    const withReset = center!.answers.at(-1)! as { clockReset?: string };
    expect(readClockReset(withReset.clockReset, unwrapBundle(serializeTrustBundle(entriesOf(world.vendor))))).toMatchObject({
      ok: true,
      value: { lmid: lm.lmid, toTime: new Date(T0 + HOUR).toISOString() },
    });
    // Ahead and back again (a new mark); the old answer and its reset are served again.
    world.clock.set(T0 + 40 * DAY);
    await status();
    world.clock.set(T0 + 2 * HOUR);
    center!.setReplay(withReset);
    await admin(lm, '/v1/admin/sync');
    expect(await status()).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
    expect(events.filter((e) => e.event === 'clock.reset_refused').map((e) => (e as { code?: string }).code)).toEqual([
      'RESET_NOT_APPLICABLE',
    ]);
    expect(eventsOf('clock.corrected')).toHaveLength(1);
  });

  it('refuses a reset collected before a later sync: the License Center time it took outdates it', async () => {
    await openOnline();
    // What a customer's script signing with the LM's key could have asked for at T0 + 1 h: a reset for a mark
    // three days ahead, to apply once the license has run out.
    const collected = issueClockReset(
      {
        id: 'rst_collected',
        lmid: lm.lmid,
        fromHighWater: new Date(T0 + 3 * DAY).toISOString(),
        toTime: new Date(T0 + HOUR).toISOString(),
      },
      world.vendor,
    );
    if (!collected.ok) throw new Error(collected.detail);
    lcNow = T0 + 2 * HOUR;
    world.clock.set(T0 + 2 * HOUR);
    expect((await admin(lm, '/v1/admin/sync')).status).toBe(200); // an honest sync: its time is T0 + 2 h
    world.clock.set(T0 + 3 * DAY); // the mark is now exactly the collected reset's
    await status();
    center!.setReplay({ ...center!.answers.at(-1)!, clockReset: collected.value });
    await admin(lm, '/v1/admin/sync');
    world.clock.set(T0 + 2 * HOUR);
    expect(await status()).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
    expect(events.filter((e) => e.event === 'clock.reset_refused').map((e) => (e as { code?: string }).code)).toEqual([
      'RESET_NOT_APPLICABLE',
    ]);
  });

  it('leaves the mark while the clock is still ahead of the License Center, and says to correct the clock', async () => {
    await openOnline();
    lcNow = T0 + HOUR;
    world.clock.set(T0 + 30 * DAY);
    expect((await admin(lm, '/v1/admin/sync')).status).toBe(200);
    expect(await status()).toMatchObject({ status: 'Normal' });
    expect(eventsOf('clock.ahead')).toEqual([
      `The system clock is ${30 * 24 * 60 - 60} minutes ahead of the License Center's signed time ${new Date(T0 + HOUR).toISOString()}. Correct it; the next sync then moves the high-water mark back.`,
    ]);
  });
});

describe('offline: a vendor-signed clock reset', () => {
  function reset(vendor: SigningKey, change: Partial<ClockResetDocument> & Pick<ClockResetDocument, 'fromHighWater'>): string {
    const text = issueClockReset({ id: 'rst_1', lmid: lm.lmid, toTime: new Date(T0 + HOUR).toISOString(), ...change }, vendor);
    if (!text.ok) throw new Error(text.detail);
    return text.value;
  }

  /** An offline LM whose clock was set ahead to T0 + 30 days and back: its request code names the mark. */
  async function stuck(): Promise<string> {
    world = makeWorld();
    await open();
    expect((await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) })).status).toBe(200);
    world.clock.set(T0 + 30 * DAY);
    await status();
    world.clock.set(T0 + HOUR);
    expect(await status()).toMatchObject({ code: 'CLOCK_TAMPERED' });
    const code = await admin(lm, '/v1/admin/request-code', { name: 'Ann', email: 'ann@example.com', nodes: { query: 2 } });
    const read = readRequestCode(code.body.requestCode);
    if (!read.ok) throw new Error(read.detail);
    expect(read.value.highWater).toBe(new Date(T0 + 30 * DAY).toISOString());
    return read.value.highWater!;
  }

  it('applies once: for this LMID and the exact mark of the request code, then never again', async () => {
    const mark = await stuck();
    const text = reset(world.vendor, { fromHighWater: mark });
    const applied = await admin(lm, '/v1/admin/load', { key: text });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ status: 'Normal' });
    expect(eventsOf('clock.reset')).toEqual([
      `Clock reset rst_1 applied: the high-water mark moved from ${mark} to the vendor's time ${new Date(T0 + HOUR).toISOString()}.`,
    ]);
    const again = await admin(lm, '/v1/admin/load', { key: text });
    expect([again.status, again.body.error.code]).toEqual([409, 'RESET_NOT_APPLICABLE']);
    expect(again.body.error.message).toMatch(/it moved since the request code was made\. Make a new request code/);
    // Steering the clock to the exact mark the reset names again does not make it apply a second time.
    world.clock.set(Date.parse(mark));
    await status();
    world.clock.set(T0 + 2 * HOUR);
    const replayed = await admin(lm, '/v1/admin/load', { key: text });
    expect([replayed.status, replayed.body.error.code]).toEqual([409, 'RESET_NOT_APPLICABLE']);
    expect(replayed.body.error.message).toMatch(/not newer than the vendor time this License Manager already holds/);
    expect((await status()).code).toBe('CLOCK_TAMPERED');
  });

  it('is refused for another mark, another LMID or an untrusted key, each with its code', async () => {
    const mark = await stuck();
    const cases: [string, number, string][] = [
      [reset(world.vendor, { fromHighWater: new Date(T0 + 29 * DAY).toISOString() }), 409, 'RESET_NOT_APPLICABLE'],
      [reset(world.vendor, { fromHighWater: mark, lmid: otherLmid() }), 409, 'LMID_MISMATCH'],
      [reset(generateSigningKey(), { fromHighWater: mark }), 403, 'UNKNOWN_KEY'],
      [reset(world.vendor, { fromHighWater: mark }).slice(0, 120), 400, 'MALFORMED'],
    ];
    for (const [key, code, error] of cases) {
      const answer = await admin(lm, '/v1/admin/load', { key });
      expect([answer.status, answer.body.error.code]).toEqual([code, error]);
    }
    expect((await status()).code).toBe('CLOCK_TAMPERED');
  });
});
