/**
 * npm run bench [-- <name>...] [--quick] [--strict] [--list]
 *
 * Runs the registered benchmarks (all, or the named ones) one after another in this process, prints one table and
 * writes bench/results/<name>.json for each. --quick is a short smoke run (figures not meaningful, nothing is
 * written); --strict exits non-zero when a goal is not met.
 */
import { BENCHMARKS } from './benchmarks/index.js';
import { benchTable, environment, writeBenchResult } from './lib/report.js';
import type { BenchResult } from './lib/types.js';

function usage(): string {
  const names = BENCHMARKS.map((b) => `  ${b.name.padEnd(16)} ${b.description}`).join('\n');
  return `usage: npm run bench -- [name...] [--quick] [--strict] [--list]\n\nbenchmarks:\n${names}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((a) => a.startsWith('-')));
  const names = args.filter((a) => !a.startsWith('-'));
  for (const flag of flags) {
    if (!['--quick', '--strict', '--list', '--help', '-h'].includes(flag)) {
      console.error(`unknown option ${flag}\n${usage()}`);
      return 2;
    }
  }
  if (flags.has('--list') || flags.has('--help') || flags.has('-h')) {
    console.log(usage());
    return 0;
  }
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  const selected = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  const quick = flags.has('--quick');

  const env = environment();
  console.log(`Tessera benchmarks: node ${env.node}, ${env.cpu} (${env.cpus} cpus)${quick ? ', QUICK run: figures not meaningful' : ''}`);
  const results: BenchResult[] = [];
  let failed = 0;
  for (const benchmark of selected) {
    console.error(`running ${benchmark.name}: ${benchmark.description}`);
    const started = performance.now();
    try {
      const result = await benchmark.run({ quick });
      results.push(result);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (quick) console.error(`  done in ${seconds} s (quick run: not written)`);
      else console.error(`  done in ${seconds} s, wrote ${writeBenchResult(result)}`);
    } catch (error) {
      failed++;
      console.error(`  ${benchmark.name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  if (results.length > 0) console.log(`\n${benchTable(results)}\n`);
  const missed = results.filter((r) => r.goal && !r.goal.met);
  for (const r of missed) console.log(`goal not met: ${r.name} (${r.goal?.text})`);
  if (failed > 0) return 1;
  return flags.has('--strict') && missed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
