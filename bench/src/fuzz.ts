/**
 * npm run fuzz [-- --count N] [--seed S] [--workers W] [--replay I]
 *
 * A mutation soak of core's readers: N mutants (default 1,000,000) of valid signed documents and identifiers,
 * split over worker threads. Reports `accepted` (mutants read as valid that are not the original; goal 0) and
 * `crashes` (a reader threw, or refused without a known code and a detail; goal 0), the refusals by code, and
 * writes bench/results/fuzz.json. Exits non-zero when either is above 0. Every mutant is a function of
 * (seed, iteration), whatever the number of workers: `--seed S --replay I` rebuilds one and shows what core said.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { buildCorpus } from './fuzz/corpus.js';
import { applicable, merge, newTally, runIteration } from './fuzz/engine.js';
import type { Example, Tally } from './fuzz/engine.js';
import { MUTATIONS } from './fuzz/mutations.js';
import type { WorkerInput, WorkerMessage } from './fuzz/worker.js';
import { formatNumber, formatTable, writeResult } from './lib/report.js';
import { startWorker } from './lib/worker.js';

const DEFAULT_COUNT = 1_000_000;
const GOAL = 'accepted = 0 and crashes = 0';

interface Options {
  readonly count: number;
  readonly seed: number;
  readonly workers: number;
  readonly replay: number | null;
}

const USAGE = 'usage: npm run fuzz -- [--count N] [--seed S] [--workers W] [--replay ITERATION]';

function parseArgs(argv: readonly string[]): Options {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    const match = /^--(count|seed|workers|replay)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value\n${USAGE}`);
    values.set(match[1]!, value);
  }
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : Number(text.replace(/[_,]/g, ''));
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be a whole number from ${min} to ${max}, not ${text}`);
    return n;
  };
  return {
    count: integer('count', DEFAULT_COUNT, 1, 1e10),
    seed: integer('seed', randomBytes(4).readUInt32LE(0), 0, 0xffffffff),
    workers: integer('workers', os.availableParallelism(), 1, 64),
    replay: values.has('replay') ? integer('replay', 0, 0, 1e10) : null,
  };
}

function replay(seed: number, iteration: number): number {
  const corpus = buildCorpus(seed);
  const it = runIteration(corpus, applicable(corpus), seed, iteration);
  console.log(`seed ${seed}, iteration ${iteration}`);
  console.log(`document:  ${it.doc.id}`);
  console.log(`mutation:  ${it.mutation.name} (${it.mutation.group}): ${it.mutation.about}`);
  console.log(`original:  ${JSON.stringify(it.doc.kind === 'signed' ? it.doc.presented : it.doc.text)}`);
  console.log(`mutant:    ${JSON.stringify(it.mutant)}`);
  let answer: string;
  try {
    answer = JSON.stringify(it.doc.read(it.mutant), (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v), 2);
  } catch (error) {
    answer = `THREW ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  }
  console.log(`reader:    ${answer}`);
  console.log(
    `outcome:   ${it.outcome.status}${it.outcome.code ? ` ${it.outcome.code}` : ''}${it.outcome.reason ? `: ${it.outcome.reason}` : ''}`,
  );
  return it.outcome.status === 'crash' || it.outcome.status === 'accepted' ? 1 : 0;
}

function runWorker(input: WorkerInput, onProgress: (done: number, accepted: number, crashes: number) => void): Promise<Tally> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(new URL('./fuzz/worker.ts', import.meta.url), input);
    let tally: Tally | null = null;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.done, message.accepted, message.crashes);
      else tally = message.tally;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (tally) resolve(tally);
      else reject(new Error(`a fuzz worker exited (code ${code}) without reporting`));
    });
  });
}

function share(n: number, total: number): string {
  return total === 0 ? '' : `${((100 * n) / total).toFixed(n / total < 0.001 ? 3 : 1)}%`;
}

function printExamples(title: string, examples: readonly Example[]): void {
  if (examples.length === 0) return;
  console.log(`\n${title} (first ${examples.length}; replay: npm run fuzz -- --seed <seed> --replay <iteration>):`);
  for (const e of examples) {
    const shown = JSON.stringify(e.mutant.length > 300 ? `${e.mutant.slice(0, 300)}...` : e.mutant);
    console.log(`  seed ${e.seed} iteration ${e.iteration}: ${e.doc} / ${e.mutation}: ${e.reason ?? e.code ?? e.status}`);
    console.log(`    mutant (${e.mutantLength} chars): ${shown}`);
  }
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const { count, seed, replay: replayIteration } = options;
  if (replayIteration !== null) return replay(seed, replayIteration);

  const corpus = buildCorpus(seed); // also checks that every original reads back as itself
  const workers = Math.min(options.workers, count);
  console.error(`fuzz: ${formatNumber(count)} mutations, seed ${seed}, ${workers} worker threads`);
  console.error(`      replay one: npm run fuzz -- --seed ${seed} --replay <iteration>`);

  const started = performance.now();
  const chunk = Math.ceil(count / workers);
  const done = new Array<number>(workers).fill(0);
  const found = new Array<[number, number]>(workers).fill([0, 0]);
  let nextTenth = 1;
  const onProgress = (index: number, n: number, accepted: number, crashes: number) => {
    done[index] = n;
    found[index] = [accepted, crashes];
    const total = done.reduce((a, b) => a + b, 0);
    while (nextTenth < 10 && total >= (count * nextTenth) / 10) {
      const seconds = (performance.now() - started) / 1000;
      const [a, c] = found.reduce(([x, y], [p, q]) => [x + p, y + q], [0, 0]);
      console.error(
        `fuzz: ${nextTenth * 10}% ${formatNumber(total)}/${formatNumber(count)} in ${seconds.toFixed(1)} s, accepted ${a}, crashes ${c}`,
      );
      nextTenth++;
    }
  };
  const tallies = await Promise.all(
    Array.from({ length: workers }, (_, index) => {
      const start = index * chunk;
      const end = Math.min(count, start + chunk);
      const every = Math.max(1, Math.min(2000, Math.floor((end - start) / 50)));
      return runWorker({ seed, start, end, every }, (n, a, c) => onProgress(index, n, a, c));
    }),
  );
  const durationMs = performance.now() - started;
  const tally = tallies.reduce(merge, newTally());
  if (tally.total + tally.harnessErrors !== count)
    throw new Error(`counted ${tally.total + tally.harnessErrors} mutants, expected ${count}`);
  const met = tally.accepted === 0 && tally.crashes === 0 && tally.harnessErrors === 0;
  const perSec = count / (durationMs / 1000);

  // --- the printed summary ---
  console.log(
    `\nTessera fuzz soak: ${formatNumber(count)} mutations in ${(durationMs / 1000).toFixed(1)} s (${formatNumber(perSec)}/s, ${workers} workers), seed ${seed}\n`,
  );
  const verdict = (n: number) => (n === 0 ? 'ok' : 'FAIL');
  console.log(
    formatTable(
      ['outcome', 'mutants', 'share', 'goal', 'note'],
      [
        ['accepted', formatNumber(tally.accepted), share(tally.accepted, count), '0', verdict(tally.accepted)],
        ['crashes', formatNumber(tally.crashes), share(tally.crashes, count), '0', verdict(tally.crashes)],
        ['rejected', formatNumber(tally.rejected), share(tally.rejected, count), '', 'refused with a code and a detail'],
        [
          'forgiven',
          formatNumber(tally.forgiven),
          share(tally.forgiven, count),
          '',
          'equivalent to the original (paste noise, case, look-alikes): read as it',
        ],
        [
          'probe-ok',
          formatNumber(tally.probeOk),
          share(tally.probeOk, count),
          '',
          'crash-only probes read as valid (trusted re-signs; garbage identifiers, 1/32 by design): not counted',
        ],
        [
          'equivalent but refused',
          formatNumber(tally.equivalentRejected),
          '',
          '',
          'paste noise that was not forgiven (usability, not a failure)',
        ],
        ['unexpected code', formatNumber(tally.unexpected), '', '', "refused, but not with the mutation's expected code (informational)"],
        ...(tally.harnessErrors > 0
          ? [['harness errors', formatNumber(tally.harnessErrors), '', '0', 'FAIL: the fuzzer itself broke']]
          : []),
      ],
      [1, 2],
    ),
  );
  const codes = Object.entries(tally.byCode).sort((a, b) => b[1] - a[1]);
  console.log(
    `\nrejections by code:\n${formatTable(
      ['code', 'mutants', 'share'],
      codes.map(([c, n]) => [c, formatNumber(n), share(n, tally.rejected)]),
      [1, 2],
    )}`,
  );
  const mutationRows = MUTATIONS.map((m) => {
    const s = tally.byMutation[m.name];
    if (!s) return [m.name, m.group, '0', '', '', '', '', '', ''];
    const top = Object.entries(s.codes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([c, n]) => `${c} ${share(n, s.rejected)}`)
      .join(', ');
    return [
      m.name,
      m.group,
      formatNumber(s.total),
      formatNumber(s.rejected),
      formatNumber(s.forgiven),
      formatNumber(s.probeOk),
      formatNumber(s.accepted),
      formatNumber(s.crashes),
      top,
    ];
  });
  console.log(
    `\nby mutation:\n${formatTable(['mutation', 'group', 'mutants', 'rejected', 'forgiven', 'probe-ok', 'accepted', 'crashes', 'top codes'], mutationRows, [2, 3, 4, 5, 6, 7])}`,
  );
  const docRows = Object.entries(tally.byDoc).map(([id, c]) => [
    id,
    formatNumber(c.total),
    formatNumber(c.rejected),
    formatNumber(c.forgiven),
    formatNumber(c.accepted),
    formatNumber(c.crashes),
  ]);
  console.log(
    `\nby document:\n${formatTable(['document', 'mutants', 'rejected', 'forgiven', 'accepted', 'crashes'], docRows, [1, 2, 3, 4, 5])}`,
  );
  const reasons = Object.entries(tally.crashesByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0)
    console.log(
      `\ncrashes by reason:\n${formatTable(
        ['mutants', 'reason'],
        reasons.map(([r, n]) => [formatNumber(n), r]),
        [0],
      )}`,
    );
  printExamples('CRASHES', tally.crashExamples);
  printExamples('ACCEPTED', tally.acceptedExamples);
  // Findings of mutations not among the first five above, so every kind of finding shows a reproducer.
  const shown = new Set([...tally.crashExamples, ...tally.acceptedExamples].map((e) => `${e.status} ${e.mutation}`));
  const firsts = Object.values(tally.firstByMutation)
    .flatMap((f) => [f.crash, f.accepted])
    .filter((e): e is Example => !!e && !shown.has(`${e.status} ${e.mutation}`));
  printExamples('more findings (the first of each other mutation)', firsts);
  printExamples('harness errors', tally.harnessExamples);

  const path = writeResult('fuzz', {
    goal: GOAL,
    met,
    seed,
    count,
    workers,
    durationMs: Math.round(durationMs),
    mutationsPerSec: Math.round(perSec),
    accepted: tally.accepted,
    crashes: tally.crashes,
    rejected: tally.rejected,
    forgiven: tally.forgiven,
    probeOk: tally.probeOk,
    equivalentRejected: tally.equivalentRejected,
    unexpected: tally.unexpected,
    harnessErrors: tally.harnessErrors,
    rejectionsByCode: Object.fromEntries(codes),
    crashesByReason: tally.crashesByReason,
    replay: `npm run fuzz -- --seed ${seed} --replay <iteration>`,
    crashExamples: tally.crashExamples,
    acceptedExamples: tally.acceptedExamples,
    firstByMutation: tally.firstByMutation,
    unexpectedExamples: tally.unexpectedExamples,
    harnessExamples: tally.harnessExamples,
    byMutation: Object.fromEntries(MUTATIONS.map((m) => [m.name, { about: m.about, ...tally.byMutation[m.name] }])),
    byDoc: tally.byDoc,
    corpus: corpus.docs.map((d) => ({
      id: d.id,
      kind: d.kind === 'signed' ? d.typ : d.id,
      armored: d.kind === 'signed' && d.armored,
      chars: d.kind === 'signed' ? d.presented.length : d.text.length,
    })),
  });
  console.log(`\n${met ? 'goal met' : 'GOAL NOT MET'}: ${GOAL} (accepted ${tally.accepted}, crashes ${tally.crashes}); wrote ${path}`);
  return met ? 0 : 1;
}

process.exitCode = await main();
