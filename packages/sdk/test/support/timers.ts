/**
 * Timers for the SDK (its `timers` option) that a test can move ahead instead of waiting. Each runs on real time
 * as Node's would, so a round trip to a real License Manager paces itself; advance(ms) runs at once every timer
 * that would be due if ms more had passed, and moves now() (the SDK's monotonic clock) by as much, so a deadline
 * the SDK sets afterwards still counts from when its lease was renewed. pending() says how many are armed: none after close(), with no round
 * under way, means nothing can happen any more — proven without sleeping.
 */
import type { SdkTimers } from '@tessera/sdk';

interface Armed {
  due: number;
  callback: () => void;
  real: NodeJS.Timeout;
}

export class TestTimers implements SdkTimers {
  private offset = 0;
  private nextId = 1;
  private readonly armed = new Map<number, Armed>();
  /** Every delay asked for, in order: what the SDK scheduled. */
  readonly asked: number[] = [];

  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.asked.push(ms);
    const real = setTimeout(() => this.fire(id), ms);
    this.armed.set(id, { due: this.now() + ms, callback, real });
    return id;
  }

  clearTimeout(handle: unknown): void {
    const armed = this.armed.get(handle as number);
    if (armed) clearTimeout(armed.real);
    this.armed.delete(handle as number);
  }

  /** How many timers are armed. */
  pending(): number {
    return this.armed.size;
  }

  /** Runs every timer due within `ms` from now, earliest first, as if that much time had passed. */
  advance(ms: number): void {
    this.offset += ms;
    const due = [...this.armed.entries()].filter(([, armed]) => armed.due <= this.now()).sort((a, b) => a[1].due - b[1].due);
    for (const [id] of due) this.fire(id);
  }

  /** Monotonic milliseconds: real elapsed time plus every advance(). */
  now(): number {
    return performance.now() + this.offset;
  }

  private fire(id: number): void {
    const armed = this.armed.get(id);
    if (!armed) return;
    clearTimeout(armed.real);
    this.armed.delete(id);
    armed.callback();
  }
}
