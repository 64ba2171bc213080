/** The contract every benchmark module fulfils; run.ts keeps a registry of them (benchmarks/index.ts). */

export interface RunOptions {
  /** A short smoke run (a fraction of the usual time), for checking that a benchmark works, not for figures. */
  readonly quick: boolean;
}

/** One printed line of a benchmark: a measured rate, or a derived figure such as a ratio. */
export interface BenchRow {
  readonly measure: string;
  readonly opsPerSec?: number;
  /** Shown instead of ops/s for derived figures (ratio, latency, ...). */
  readonly value?: string;
  readonly note?: string;
}

export interface BenchGoal {
  /** The goal as a person reads it, e.g. "ratio >= 0.90". */
  readonly text: string;
  readonly met: boolean;
}

export interface BenchResult {
  readonly name: string;
  readonly rows: readonly BenchRow[];
  readonly goal?: BenchGoal;
  /** Everything else the benchmark wants in bench/results/<name>.json (rounds, per-round figures, medians, ...). */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Benchmark {
  /** Also the file name of its result, and the name given on the command line: `npm run bench -- <name>`. */
  readonly name: string;
  /** One line: what is measured against what. */
  readonly description: string;
  run(options: RunOptions): Promise<BenchResult>;
}
