/**
 * One fuzz iteration (pick a document and a mutation from the iteration's own PRNG, mutate, read, classify) and the
 * tally the workers keep and the main thread merges.
 */
import { CODES, normalizeDocumentText } from '@tessera/core';
import type { Code } from '@tessera/core';
import type { Corpus, Doc } from './corpus.js';
import { MUTATIONS } from './mutations.js';
import type { Mutation, MutationGroup } from './mutations.js';
import { iterationSeed, Rng } from './prng.js';

/**
 * - crash: the reader threw, returned something that is not a Result, or refused without a known code and a detail
 * - accepted: ok:true for a mutant that is not equivalent to the original (a forgery or a malleability)
 * - forgiven: ok:true for an equivalent mutant (paste noise, armor, case, look-alikes, hyphens): on purpose
 * - rejected: ok:false with a code and a detail
 * - probe-ok: ok:true for a crash-only probe, where ok:true proves nothing (not counted): a trusted-signer re-sign
 *   carries a legitimate signature, and identifier-shaped garbage passes a one-symbol check 1 time in 32 by design
 */
export type Status = 'crash' | 'accepted' | 'forgiven' | 'rejected' | 'probe-ok';

export interface Outcome {
  readonly status: Status;
  readonly code?: string;
  readonly reason?: string;
  /** For rejected signed documents: whether the mutant was equivalent (paste noise) and still refused. */
  readonly equivalent?: boolean;
}

export interface Iteration {
  readonly iteration: number;
  readonly doc: Doc;
  readonly mutation: Mutation;
  readonly mutant: string;
  readonly outcome: Outcome;
}

const KNOWN_CODES = new Set<string>(CODES);

/** The error and where it came from: the first stack frame inside core (source-mapped), else the first frame. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const frames = (error.stack ?? '').split('\n').slice(1);
  const frame = (frames.find((f) => f.includes('/packages/core/')) ?? frames[0] ?? '').trim().replace(/^at /, '');
  return `${error.name}: ${error.message}${frame ? ` (at ${frame.replace(/\(\/.*\/packages\/core\//, '(core/')})` : ''}`;
}

function isEquivalentSigned(doc: Doc, mutant: string): boolean {
  if (doc.kind !== 'signed') return false;
  const normalized = normalizeDocumentText(mutant);
  return normalized.ok && normalized.value === doc.text;
}

export function classify(doc: Doc, mutation: Mutation, mutant: string): Outcome {
  let result: unknown;
  try {
    result = doc.read(mutant);
  } catch (error) {
    return { status: 'crash', reason: `threw ${describeError(error)}` };
  }
  if (typeof result !== 'object' || result === null || typeof (result as { ok?: unknown }).ok !== 'boolean') {
    return { status: 'crash', reason: `returned a non-Result: ${String(result)}` };
  }
  const r = result as { ok: true; value: unknown } | { ok: false; code: unknown; detail: unknown };
  if (!r.ok) {
    if (typeof r.code !== 'string' || !KNOWN_CODES.has(r.code)) {
      return { status: 'crash', code: String(r.code), reason: `refused with an unknown code ${String(r.code)}` };
    }
    if (typeof r.detail !== 'string' || r.detail.trim() === '') {
      return { status: 'crash', code: r.code, reason: 'refused without a detail sentence' };
    }
    return { status: 'rejected', code: r.code, equivalent: isEquivalentSigned(doc, mutant) };
  }
  if (mutation.crashOnly?.(doc)) return { status: 'probe-ok' };
  if (doc.kind === 'ident') {
    return r.value === doc.text
      ? { status: 'forgiven' }
      : { status: 'accepted', reason: `read as another valid identifier ${String(r.value)} (original ${doc.text})` };
  }
  let canonical: string;
  try {
    canonical = doc.canonicalOf(r.value);
  } catch (error) {
    return { status: 'crash', reason: `ok:true without a canonical text: ${describeError(error)}` };
  }
  if (isEquivalentSigned(doc, mutant) && canonical === doc.text) return { status: 'forgiven' };
  return {
    status: 'accepted',
    reason:
      canonical === doc.text
        ? 'ok:true for a text that is not the original plus paste noise (but reads back as the original)'
        : `ok:true, and reads back as another document: ${canonical.slice(0, 60)}...`,
  };
}

/** The mutations that apply to each document, computed once. */
export function applicable(corpus: Corpus): Map<string, readonly Mutation[]> {
  return new Map(corpus.docs.map((doc) => [doc.id, MUTATIONS.filter((m) => m.applies(doc, corpus))]));
}

export function runIteration(corpus: Corpus, table: Map<string, readonly Mutation[]>, seed: number, iteration: number): Iteration {
  const rng = new Rng(iterationSeed(seed, iteration));
  const doc = rng.pick(corpus.docs);
  const mutation = rng.pick(table.get(doc.id)!);
  const mutant = mutation.apply(rng, doc, corpus);
  return { iteration, doc, mutation, mutant, outcome: classify(doc, mutation, mutant) };
}

// ---------------------------------------------------------------------------------------------------------------
// The tally.

export const MAX_EXAMPLES = 5;
const MAX_MUTANT_CHARS = 4000;

export interface Example {
  readonly seed: number;
  readonly iteration: number;
  readonly doc: string;
  readonly mutation: string;
  readonly status: Status;
  readonly code?: string;
  readonly reason?: string;
  readonly mutantLength: number;
  /** JSON-escaped in the result file; cut at 4000 characters (replay with --seed/--replay for the whole text). */
  readonly mutant: string;
}

export interface Counts {
  total: number;
  accepted: number;
  crashes: number;
  rejected: number;
  forgiven: number;
  probeOk: number;
}

export interface MutationCounts extends Counts {
  group: MutationGroup;
  unexpected: number;
  codes: Record<string, number>;
}

export interface Tally extends Counts {
  /** Equivalent mutants (original plus paste noise) that were refused all the same: forgiveness that failed. */
  equivalentRejected: number;
  /** Refusals with a code other than the mutation's expected ones (informational, not a failure). */
  unexpected: number;
  /** The fuzzer itself failed to build a mutant (a bench bug, fails the run). */
  harnessErrors: number;
  byCode: Record<string, number>;
  byMutation: Record<string, MutationCounts>;
  byDoc: Record<string, Counts>;
  crashExamples: Example[];
  acceptedExamples: Example[];
  unexpectedExamples: Example[];
  harnessExamples: Example[];
  /** Crashes grouped by error and the place in core that threw. */
  crashesByReason: Record<string, number>;
  /** The first crash and the first acceptance of each mutation, so every kind of finding has a reproducer. */
  firstByMutation: Record<string, { crash?: Example; accepted?: Example }>;
}

const emptyCounts = (): Counts => ({ total: 0, accepted: 0, crashes: 0, rejected: 0, forgiven: 0, probeOk: 0 });

export function newTally(): Tally {
  return {
    ...emptyCounts(),
    equivalentRejected: 0,
    unexpected: 0,
    harnessErrors: 0,
    byCode: {},
    byMutation: {},
    byDoc: {},
    crashExamples: [],
    acceptedExamples: [],
    unexpectedExamples: [],
    harnessExamples: [],
    crashesByReason: {},
    firstByMutation: {},
  };
}

function count(counts: Counts, status: Status): void {
  counts.total++;
  if (status === 'crash') counts.crashes++;
  else if (status === 'accepted') counts.accepted++;
  else if (status === 'rejected') counts.rejected++;
  else if (status === 'forgiven') counts.forgiven++;
  else counts.probeOk++;
}

export function example(seed: number, it: Pick<Iteration, 'iteration' | 'doc' | 'mutation' | 'mutant' | 'outcome'>): Example {
  return {
    seed,
    iteration: it.iteration,
    doc: it.doc.id,
    mutation: it.mutation.name,
    status: it.outcome.status,
    ...(it.outcome.code !== undefined ? { code: it.outcome.code } : {}),
    ...(it.outcome.reason !== undefined ? { reason: it.outcome.reason } : {}),
    mutantLength: it.mutant.length,
    mutant: it.mutant.length > MAX_MUTANT_CHARS ? `${it.mutant.slice(0, MAX_MUTANT_CHARS)}...` : it.mutant,
  };
}

function keep(list: Example[], make: () => Example): void {
  if (list.length < MAX_EXAMPLES) list.push(make());
}

export function record(tally: Tally, seed: number, it: Iteration): void {
  const { outcome, mutation, doc } = it;
  count(tally, outcome.status);
  const m = (tally.byMutation[mutation.name] ??= { ...emptyCounts(), group: mutation.group, unexpected: 0, codes: {} });
  count(m, outcome.status);
  count((tally.byDoc[doc.id] ??= emptyCounts()), outcome.status);
  if (outcome.status === 'rejected') {
    const code = outcome.code!;
    tally.byCode[code] = (tally.byCode[code] ?? 0) + 1;
    m.codes[code] = (m.codes[code] ?? 0) + 1;
    if (outcome.equivalent) tally.equivalentRejected++;
    const expected = doc.kind === 'signed' ? mutation.expect?.(doc) : undefined;
    if (expected && !expected.includes(code as Code)) {
      tally.unexpected++;
      m.unexpected++;
      keep(tally.unexpectedExamples, () => example(seed, it));
    }
  } else if (outcome.status === 'crash') {
    keep(tally.crashExamples, () => example(seed, it));
    const reason = outcome.reason ?? '?';
    tally.crashesByReason[reason] = (tally.crashesByReason[reason] ?? 0) + 1;
    const first = (tally.firstByMutation[mutation.name] ??= {});
    first.crash ??= example(seed, it);
  } else if (outcome.status === 'accepted') {
    keep(tally.acceptedExamples, () => example(seed, it));
    const first = (tally.firstByMutation[mutation.name] ??= {});
    first.accepted ??= example(seed, it);
  }
}

export function recordHarnessError(tally: Tally, seed: number, iteration: number, error: unknown): void {
  tally.harnessErrors++;
  keep(tally.harnessExamples, () => ({
    seed,
    iteration,
    doc: '?',
    mutation: '?',
    status: 'crash',
    reason: `the fuzzer failed to build the mutant: ${describeError(error)}`,
    mutantLength: 0,
    mutant: '',
  }));
}

function addCounts(into: Counts, from: Counts): void {
  into.total += from.total;
  into.accepted += from.accepted;
  into.crashes += from.crashes;
  into.rejected += from.rejected;
  into.forgiven += from.forgiven;
  into.probeOk += from.probeOk;
}

function addCodes(into: Record<string, number>, from: Record<string, number>): void {
  for (const [code, n] of Object.entries(from)) into[code] = (into[code] ?? 0) + n;
}

const firstExamples = (a: Example[], b: Example[]) => [...a, ...b].sort((x, y) => x.iteration - y.iteration).slice(0, MAX_EXAMPLES);

export function merge(into: Tally, from: Tally): Tally {
  addCounts(into, from);
  into.equivalentRejected += from.equivalentRejected;
  into.unexpected += from.unexpected;
  into.harnessErrors += from.harnessErrors;
  addCodes(into.byCode, from.byCode);
  addCodes(into.crashesByReason, from.crashesByReason);
  for (const [name, m] of Object.entries(from.byMutation)) {
    const target = (into.byMutation[name] ??= { ...emptyCounts(), group: m.group, unexpected: 0, codes: {} });
    addCounts(target, m);
    target.unexpected += m.unexpected;
    addCodes(target.codes, m.codes);
  }
  for (const [id, c] of Object.entries(from.byDoc)) addCounts((into.byDoc[id] ??= emptyCounts()), c);
  into.crashExamples = firstExamples(into.crashExamples, from.crashExamples);
  into.acceptedExamples = firstExamples(into.acceptedExamples, from.acceptedExamples);
  into.unexpectedExamples = firstExamples(into.unexpectedExamples, from.unexpectedExamples);
  into.harnessExamples = firstExamples(into.harnessExamples, from.harnessExamples);
  for (const [name, f] of Object.entries(from.firstByMutation)) {
    const target = (into.firstByMutation[name] ??= {});
    if (f.crash && (!target.crash || f.crash.iteration < target.crash.iteration)) target.crash = f.crash;
    if (f.accepted && (!target.accepted || f.accepted.iteration < target.accepted.iteration)) target.accepted = f.accepted;
  }
  return into;
}
