import { describe, expect, it } from 'vitest';
import { JobScheduler } from './scheduler.js';
import type { BackgroundJob, JobTimers } from './scheduler.js';

/** Timers on a time that moves only when the test says; due callbacks fire in order. */
function fakeTimers() {
  let now = 0;
  let pending: { at: number; callback: () => void }[] = [];
  const timers: JobTimers = {
    now: () => now,
    setTimeout(callback, ms) {
      const entry = { at: now + ms, callback };
      pending.push(entry);
      return entry;
    },
    clearTimeout(handle) {
      pending = pending.filter((entry) => entry !== handle);
    },
  };
  return {
    timers,
    /** Moves time on, firing what falls due. */
    advance(ms: number) {
      now += ms;
      const due = pending.filter((entry) => entry.at <= now);
      pending = pending.filter((entry) => entry.at > now);
      for (const entry of due) entry.callback();
    },
    get pendingCount() {
      return pending.length;
    },
  };
}

function collectingLogger() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return { lines, warn: (obj: object, msg: string) => lines.push({ obj: obj as Record<string, unknown>, msg }) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('JobScheduler', () => {
  it('warns, naming the job, when one job of a round takes longer than the period', async () => {
    const time = fakeTimers();
    const logger = collectingLogger();
    const ran: string[] = [];
    const jobs: BackgroundJob[] = [
      { name: 'quick', run: async () => void ran.push('quick') },
      { name: 'mail-delivery', run: async () => void (ran.push('mail-delivery'), time.advance(1_500)) },
    ];
    await new JobScheduler({ jobs, periodMs: 1_000, logger, timers: time.timers }).runOnce();
    expect(ran).toEqual(['quick', 'mail-delivery']);
    expect(logger.lines).toEqual([
      {
        obj: { job: 'mail-delivery', ms: 1_500, periodMs: 1_000 },
        msg: 'background job mail-delivery took 1500 ms, longer than the job period of 1000 ms; the jobs after it ran late',
      },
    ]);
  });

  it('logs a failed job by name and still runs the jobs after it', async () => {
    const logger = collectingLogger();
    const ran: string[] = [];
    const jobs: BackgroundJob[] = [
      { name: 'contract-renewals', run: () => Promise.reject(new Error('connection refused')) },
      { name: 'expiry-notices', run: async () => void ran.push('expiry-notices') },
    ];
    await expect(new JobScheduler({ jobs, periodMs: 1_000, logger, timers: fakeTimers().timers }).runOnce()).resolves.toBeUndefined();
    expect(ran).toEqual(['expiry-notices']);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.msg).toBe('background job contract-renewals failed; it runs again in the next round');
    expect(logger.lines[0]!.obj).toMatchObject({ job: 'contract-renewals', err: { message: 'connection refused' } });
  });

  it('never starts a round while one is in flight: the next is timed from the end of the last', async () => {
    const time = fakeTimers();
    let runs = 0;
    let finish: () => void = () => {};
    const job: BackgroundJob = {
      name: 'mail-delivery',
      run: () => {
        runs++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    };
    const scheduler = new JobScheduler({ jobs: [job], periodMs: 5_000, logger: collectingLogger(), timers: time.timers });
    scheduler.start();
    time.advance(4_999);
    expect(runs).toBe(0);
    time.advance(1);
    expect(runs).toBe(1);
    // The round hangs for ten periods: no second round beside it, and runOnce() joins it instead of starting one.
    time.advance(50_000);
    void scheduler.runOnce();
    expect(runs).toBe(1);
    expect(time.pendingCount).toBe(0);
    finish();
    await settle();
    expect(time.pendingCount).toBe(1);
    time.advance(4_999);
    expect(runs).toBe(1);
    time.advance(1);
    expect(runs).toBe(2);

    // stop() waits for the round in flight, and no round follows it.
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    finish();
    await stopping;
    time.advance(60_000);
    expect(runs).toBe(2);
    expect(time.pendingCount).toBe(0);
  });
});
