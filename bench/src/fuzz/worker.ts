/** A fuzz worker: iterations [start, end) of the run, on its own rebuilt copy of the corpus. */
import { parentPort, workerData } from 'node:worker_threads';
import { buildCorpus } from './corpus.js';
import { applicable, newTally, record, recordHarnessError, runIteration } from './engine.js';
import type { Tally } from './engine.js';

export interface WorkerInput {
  readonly seed: number;
  readonly start: number;
  readonly end: number;
  /** Iterations between progress messages. */
  readonly every: number;
}

export type WorkerMessage =
  | { readonly type: 'progress'; readonly done: number; readonly accepted: number; readonly crashes: number }
  | { readonly type: 'done'; readonly tally: Tally };

if (!parentPort) throw new Error('fuzz/worker.ts runs as a worker thread; start npm run fuzz');
const port = parentPort;
const { seed, start, end, every } = workerData as WorkerInput;
const corpus = buildCorpus(seed);
const table = applicable(corpus);
const tally = newTally();
for (let i = start; i < end; i++) {
  try {
    record(tally, seed, runIteration(corpus, table, seed, i));
  } catch (error) {
    recordHarnessError(tally, seed, i, error);
  }
  if ((i - start + 1) % every === 0) {
    port.postMessage({ type: 'progress', done: i - start + 1, accepted: tally.accepted, crashes: tally.crashes } satisfies WorkerMessage);
  }
}
port.postMessage({ type: 'done', tally } satisfies WorkerMessage);
