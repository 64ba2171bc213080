import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { Daemon } from '../src/daemon.js';
import { admin, call, DAY, licenseFor, makeWorld, start, T0 } from './support/world.js';
import type { World } from './support/world.js';

interface Received {
  to: string[];
  data: string;
}

let smtp: SMTPServer;
let received: Received[];
let world: World;
let lm: Daemon;

beforeEach(async () => {
  received = [];
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  world = makeWorld({
    notify: {
      mail: { host: '127.0.0.1', port, secure: false, user: null, password: null, from: 'lm@test.local', to: ['ops@customer.example'] },
    },
  });
  lm = await start(world, { mailAllowPlaintext: true, timers: { watchMs: 100 } });
});
afterEach(async () => {
  await lm.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  world.cleanup();
});

async function waitForMail(count: number) {
  for (let i = 0; i < 100 && received.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return received;
}
const subjects = () => received.map((m) => /^Subject: (.*)$/m.exec(m.data)?.[1] ?? '');

describe('mail notifications through a real SMTP server', () => {
  it('mails once when the license is expiring, and not again the same day', async () => {
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid, { expiresAt: new Date(T0 + 10 * DAY).toISOString() }) });
    const mails = await waitForMail(1);
    expect(mails[0]!.to).toEqual(['ops@customer.example']);
    expect(subjects()[0]).toMatch(/expiring/i);
    expect(mails[0]!.data).toContain(lm.lmid);
    await new Promise((resolve) => setTimeout(resolve, 500)); // several watcher ticks
    expect(received).toHaveLength(1);
  });

  it('mails when a role reaches its limit', async () => {
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) });
    for (const nodeId of ['q1', 'q2', 'q3'])
      await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb', role: 'query', nodeId, instance: 'proc-1' });
    await waitForMail(1);
    expect(subjects().some((s) => /query/.test(s))).toBe(true);
  });

  it('mails when the license becomes invalid', async () => {
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) });
    world.clock.set(T0 + 400 * DAY);
    await waitForMail(1);
    expect(subjects()[0]).toMatch(/expired/i);
  });
});
