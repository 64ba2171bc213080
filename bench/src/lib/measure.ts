/**
 * Timing loops. Calls are made in batches sized during warm-up so that reading the clock costs a negligible part
 * of each measurement, and several cases are measured in interleaved rounds so that machine noise (another
 * process, frequency scaling, GC) hits all of them alike; the median round is reported.
 */
import { performance } from 'node:perf_hooks';

export interface Sample {
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSec: number;
}

export interface Case {
  readonly label: string;
  /** One operation. It must have an observable effect (return or record something) so it cannot be optimised away. */
  readonly fn: () => unknown;
}

export interface InterleaveOptions {
  readonly warmupMs: number;
  readonly rounds: number;
  readonly roundMs: number;
}

export interface InterleaveResult {
  readonly warmup: Readonly<Record<string, Sample>>;
  /** rounds[i][label] = ops/s of that case in round i. */
  readonly rounds: readonly Readonly<Record<string, number>>[];
  readonly medians: Readonly<Record<string, number>>;
  /** Calls per clock read, per case. */
  readonly batch: Readonly<Record<string, number>>;
}

const NS_PER_MS = 1_000_000n;

/** Calls `fn` in batches of `batch` until at least `ms` milliseconds have passed. */
export function runFor(fn: () => unknown, ms: number, batch = 1): Sample {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(ms)) * NS_PER_MS;
  const start = process.hrtime.bigint();
  let ops = 0;
  let now = start;
  do {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    now = process.hrtime.bigint();
  } while (now < deadline);
  const seconds = Number(now - start) / 1e9;
  return { ops, seconds, opsPerSec: ops / seconds };
}

/** How many calls take about `targetMs` (at least 1): the batch size for runFor. */
export function batchFor(opsPerSec: number, targetMs = 1): number {
  return Math.max(1, Math.round((opsPerSec * targetMs) / 1000));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Warms every case up, then measures them in `rounds` interleaved rounds. The order alternates each round
 * (A B, B A, A B, ...) so neither case always runs first.
 */
export function interleave(cases: readonly Case[], options: InterleaveOptions): InterleaveResult {
  const warmup: Record<string, Sample> = {};
  const batch: Record<string, number> = {};
  for (const c of cases) {
    // A first short run sizes the batch; the rest of the warm-up already uses it.
    const probe = runFor(c.fn, Math.min(50, options.warmupMs));
    batch[c.label] = batchFor(probe.opsPerSec);
    warmup[c.label] = runFor(c.fn, options.warmupMs, batch[c.label]);
  }
  const rounds: Record<string, number>[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const order = r % 2 === 0 ? cases : [...cases].reverse();
    const round: Record<string, number> = {};
    for (const c of order) round[c.label] = runFor(c.fn, options.roundMs, batch[c.label]).opsPerSec;
    rounds.push(round);
  }
  const medians: Record<string, number> = {};
  for (const c of cases) medians[c.label] = median(rounds.map((round) => round[c.label]!));
  return { warmup, rounds, medians, batch };
}

/** Milliseconds since an arbitrary origin, for wall-clock durations. */
export function nowMs(): number {
  return performance.now();
}
