/**
 * The way back from a clock set ahead by mistake, which carries the high-water mark forward (every license then
 * looks tampered with once the clock is right again): online, the License Center's signed time moves the mark back;
 * offline, a vendor-signed clock reset for the exact mark the request code carried. Neither can be replayed.
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
  readRequestCode,
} from '@tessera/core';
import type { ClockResetDocument, SigningKey } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { startFakeCenter } from './support/fake-center.js';
import type { FakeCenter } from './support/fake-center.js';
import { admin, call, DAY, makeWorld, licenseFor, start, T0 } from './support/world.js';
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
    world.clock.set(T0 + 30 * DAY); // set ahead by mistake: the mark follows
    expect((await status()).status).toBe('Normal');
    lcNow = T0 + HOUR;
    world.clock.set(T0 + HOUR); // set right again: now it looks set back
    expect(await status()).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
    expect((await admin(lm, '/v1/admin/sync')).status).toBe(200);
    expect(await status()).toMatchObject({ status: 'Normal' });
    expect(eventsOf('clock.corrected')).toEqual([
      `The clock high-water mark moved back from ${new Date(T0 + 30 * DAY).toISOString()} to the License Center's signed time ${new Date(T0 + HOUR).toISOString()}: a clock set ahead had carried it forward.`,
    ]);
    const { body } = await call(lm, 'GET', '/v1/license?nonce=clock-recovery-nonce-1');
    expect(body.answer).toMatch(/^tessera-answer:/);
  });

  it('never moves the mark back for a time token no newer than one accepted before (a recorded answer replayed)', async () => {
    await openOnline(); // the LM accepted LC time T0
    world.clock.set(T0 + 30 * DAY);
    await status();
    world.clock.set(T0 + HOUR);
    // A fake center serving the answers it recorded at T0: the time is vendor-signed, but not newer than T0.
    lcNow = T0;
    await admin(lm, '/v1/admin/sync');
    expect(await status()).toMatchObject({ status: 'Invalid', code: 'CLOCK_TAMPERED' });
    expect(eventsOf('clock.corrected')).toEqual([]);
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
