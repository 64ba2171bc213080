/** Time comes from here (core's Clock), so tests can move it; nothing else in the LM reads the system clock. */
import type { Clock } from '@tessera/core';

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests set by hand. */
export class ManualClock implements Clock {
  constructor(private time: number) {}
  now(): number {
    return this.time;
  }
  set(time: number): void {
    this.time = time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/**
 * Real time plus what a test moved it by: set() and advance() move it, and it keeps running from there. For tests
 * where other processes (a product, the SDK) read the real clock too, so a frozen ManualClock would make every
 * lease look run out to them.
 */
export class RunningClock extends ManualClock {
  private offset = 0;
  constructor() {
    super(Date.now());
  }
  override now(): number {
    return Date.now() + this.offset;
  }
  override set(time: number): void {
    this.offset = time - Date.now();
  }
  override advance(ms: number): void {
    this.offset += ms;
  }
}
