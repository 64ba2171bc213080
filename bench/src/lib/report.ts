/** Printing result tables and writing bench/results/<name>.json. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.js';

export const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));

/** Where and when a figure was measured: every result file starts with this. */
export function environment() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

/** Writes `data` (with the name and environment first) to bench/results/<name>.json; returns the path. */
export function writeResult(name: string, data: Readonly<Record<string, unknown>>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, ...environment(), ...data }, null, 2) + '\n');
  return path;
}

export function writeBenchResult(result: BenchResult): string {
  return writeResult(result.name, {
    ...result.data,
    ...(result.goal ? { goal: result.goal.text, met: result.goal.met } : {}),
  });
}

export function formatNumber(value: number, fractionDigits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
}

/** A plain-text table; columns listed in `right` are right-aligned (numbers). */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function benchTable(results: readonly BenchResult[]): string {
  const rows: string[][] = [];
  for (const result of results) {
    for (const row of result.rows) {
      rows.push([result.name, row.measure, row.opsPerSec !== undefined ? formatNumber(row.opsPerSec) : (row.value ?? ''), row.note ?? '']);
    }
    if (result.goal) rows.push([result.name, 'goal', result.goal.text, result.goal.met ? 'met' : 'NOT MET']);
  }
  return formatTable(['benchmark', 'measure', 'ops/s', 'note'], rows, [2]);
}
