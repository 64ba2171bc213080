import { execFileSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { escapeLabelValue, RefusalCounter, renderMetrics } from './metrics.js';
import type { MetricsSnapshot } from './metrics.js';

const snapshot: MetricsSnapshot = {
  status: 'Expiring',
  licenseRemainingSeconds: 12 * 86_400 + 3_600,
  roles: { storage: { total: 5, used: 2 }, query: { total: 3, used: 3 } },
  refusals: { TOO_MANY_NODES: 4, ROLE_NOT_LICENSED: 1 },
  syncFailures: 2,
  syncSuccesses: 7,
  lastSyncAt: 1_795_000_000_500,
  leasesActive: 5,
  up: 1_794_990_000_000,
};

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the text format: every line is a comment of a known form or a well-formed sample. */
function parse(text: string): { samples: Sample[]; help: Map<string, string>; types: Map<string, string> } {
  expect(text.endsWith('\n')).toBe(true);
  const samples: Sample[] = [];
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      (comment[1] === 'HELP' ? help : types).set(comment[2]!, comment[3]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a valid exposition line: ${JSON.stringify(line)}`);
    samples.push({ name: sample[1]!, labels: parseLabels(sample[2] ?? ''), value: parseValue(sample[3]!) });
  }
  return { samples, help, types };
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/y;
  while (pair.lastIndex < text.length) {
    const match = pair.exec(text);
    if (!match) throw new Error(`bad labels: ${text}`);
    labels[match[1]!] = match[2]!.replace(/\\(\\|"|n)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  if (text !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value ${text}`);
  return value;
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;

describe('renderMetrics', () => {
  const { samples, help, types } = parse(renderMetrics(snapshot));

  it('has one status gauge per known status, 1 for the current one', () => {
    const status = samples.filter((s) => s.name === 'tessera_lm_license_status');
    expect(Object.fromEntries(status.map((s) => [s.labels.status, s.value]))).toEqual({
      NotExist: 0,
      Normal: 0,
      Expiring: 1,
      Grace: 0,
      Expired: 0,
      Invalid: 0,
      Syncing: 0,
    });
  });

  it('renders seats per role, refusals per code, sync counters, leases and times', () => {
    expect(value(samples, 'tessera_lm_license_remaining_seconds')).toBe(12 * 86_400 + 3_600);
    expect(value(samples, 'tessera_lm_seats_limit', { role: 'query' })).toBe(3);
    expect(value(samples, 'tessera_lm_seats_used', { role: 'query' })).toBe(3);
    expect(value(samples, 'tessera_lm_seats_limit', { role: 'storage' })).toBe(5);
    expect(value(samples, 'tessera_lm_seats_used', { role: 'storage' })).toBe(2);
    expect(value(samples, 'tessera_lm_seat_refusals_total', { code: 'TOO_MANY_NODES' })).toBe(4);
    expect(value(samples, 'tessera_lm_seat_refusals_total', { code: 'ROLE_NOT_LICENSED' })).toBe(1);
    expect(value(samples, 'tessera_lm_sync_failures_total')).toBe(2);
    expect(value(samples, 'tessera_lm_sync_successes_total')).toBe(7);
    expect(value(samples, 'tessera_lm_last_sync_timestamp_seconds')).toBe(1_795_000_000.5);
    expect(value(samples, 'tessera_lm_leases_active')).toBe(5);
    expect(value(samples, 'tessera_lm_start_time_seconds')).toBe(1_794_990_000);
    expect(samples).toHaveLength(7 + 1 + 2 + 2 + 2 + 1 + 1 + 1 + 1 + 1);
  });

  it('has HELP and TYPE for every metric, counters typed as counters', () => {
    const counters = ['tessera_lm_seat_refusals_total', 'tessera_lm_sync_failures_total', 'tessera_lm_sync_successes_total'];
    const names = new Set(samples.map((s) => s.name));
    expect(names.size).toBe(10);
    for (const name of names) {
      expect(help.get(name), name).toBeTruthy();
      expect(types.get(name), name).toBe(counters.includes(name) ? 'counter' : 'gauge');
    }
  });

  it('keeps one block per metric: HELP and TYPE come right before its samples', () => {
    const lines = renderMetrics(snapshot).trimEnd().split('\n');
    const seen: string[] = [];
    for (const line of lines) {
      const name = line.startsWith('#') ? line.split(' ')[2]! : /^[^{ ]+/.exec(line)![0];
      if (seen.at(-1) !== name) {
        expect(seen, `${name} appears in two places`).not.toContain(name);
        expect(line.startsWith('# HELP'), `${name} starts with HELP`).toBe(true);
        seen.push(name);
      }
    }
  });

  it('omits the remaining-seconds and last-sync samples when there is no value, but keeps the other metrics', () => {
    const { samples: none } = parse(
      renderMetrics({ ...snapshot, status: 'NotExist', licenseRemainingSeconds: null, lastSyncAt: null, roles: {}, refusals: {} }),
    );
    expect(none.some((s) => s.name === 'tessera_lm_license_remaining_seconds')).toBe(false);
    expect(none.some((s) => s.name === 'tessera_lm_last_sync_timestamp_seconds')).toBe(false);
    expect(none.some((s) => s.name.startsWith('tessera_lm_seats_'))).toBe(false);
    expect(value(none, 'tessera_lm_license_status', { status: 'NotExist' })).toBe(1);
    expect(value(none, 'tessera_lm_sync_failures_total')).toBe(2);
  });

  it('renders negative remaining seconds in grace', () => {
    const { samples: grace } = parse(renderMetrics({ ...snapshot, status: 'Grace', licenseRemainingSeconds: -3 * 86_400 }));
    expect(value(grace, 'tessera_lm_license_remaining_seconds')).toBe(-3 * 86_400);
    expect(value(grace, 'tessera_lm_license_status', { status: 'Grace' })).toBe(1);
  });

  it('escapes backslash, double quote and newline in label values', () => {
    const role = 'we"ird\\role\nx';
    const text = renderMetrics({ ...snapshot, roles: { [role]: { total: 1, used: 0 } } });
    expect(text).toContain('tessera_lm_seats_limit{role="we\\"ird\\\\role\\nx"} 1\n');
    const { samples: parsed } = parse(text);
    expect(value(parsed, 'tessera_lm_seats_limit', { role })).toBe(1);
    // One sample per line: the newline in the value did not break the line.
    expect(text.split('\n').filter((l) => l.startsWith('tessera_lm_seats_used'))).toEqual([
      'tessera_lm_seats_used{role="we\\"ird\\\\role\\nx"} 0',
    ]);
  });

  it('passes promtool check metrics: base units, _total only on counters, escaped labels', () => {
    const role = 'we"ird\\role\nx';
    for (const text of [
      renderMetrics(snapshot),
      renderMetrics({ ...snapshot, roles: { [role]: { total: 1, used: 0 } }, refusals: { [role]: 1 } }),
      renderMetrics({ ...snapshot, status: 'NotExist', licenseRemainingSeconds: null, lastSyncAt: null, roles: {}, refusals: {} }),
    ]) {
      expect(() =>
        execFileSync(inject('promtoolPath'), ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] }),
      ).not.toThrow();
    }
  });

  it('escapeLabelValue leaves other text alone', () => {
    expect(escapeLabelValue('query')).toBe('query');
    expect(escapeLabelValue('a\\"b\n')).toBe('a\\\\\\"b\\n');
    expect(escapeLabelValue("tab\there 'single' é")).toBe("tab\there 'single' é");
  });
});

describe('RefusalCounter', () => {
  it('counts by code and feeds renderMetrics', () => {
    const counter = new RefusalCounter();
    expect(counter.snapshot()).toEqual({});
    counter.count('TOO_MANY_NODES');
    counter.count('TOO_MANY_NODES');
    counter.count('EXPIRED');
    expect(counter.snapshot()).toEqual({ TOO_MANY_NODES: 2, EXPIRED: 1 });
    const { samples } = parse(renderMetrics({ ...snapshot, refusals: counter.snapshot() }));
    expect(value(samples, 'tessera_lm_seat_refusals_total', { code: 'TOO_MANY_NODES' })).toBe(2);
    expect(value(samples, 'tessera_lm_seat_refusals_total', { code: 'EXPIRED' })).toBe(1);
  });

  it('hands out a copy, not its own state', () => {
    const counter = new RefusalCounter();
    counter.count('EXPIRED');
    const snap = counter.snapshot();
    snap.EXPIRED = 99;
    expect(counter.snapshot()).toEqual({ EXPIRED: 1 });
  });
});
