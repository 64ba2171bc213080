/** What the License Manager benchmarks read off the machine: process memory and CPU, quiet waits, CPU pinning. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { nowMs } from '../lib/measure.js';

// ---------------------------------------------------------------------------------------------------------------
// Memory

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size, bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a process, from /proc/<pid>/status (Linux). */
export function procMemory(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export const MB = 1024 * 1024;

let clockTicks: number | null = null;

function ticksPerSecond(): number {
  if (clockTicks === null) {
    const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clockTicks = Number(probe.stdout?.trim()) || 100;
  }
  return clockTicks;
}

/**
 * CPU time (user + system, seconds) a process has used so far, from /proc/<pid>/stat (Linux); with
 * `reapedChildren`, plus what its children that have exited and been waited for used (cutime, cstime).
 */
export function procCpuSeconds(pid: number, reapedChildren = false): number {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const children = reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0; // cutime, cstime (fields 16 and 17)
  return (Number(fields[11]) + Number(fields[12]) + children) / ticksPerSecond(); // utime, stime (fields 14 and 15)
}

/** CPU seconds all CPUs of the machine have been busy (or stolen by the hypervisor) so far, from /proc/stat. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Cores that anything else on the machine kept busy while a measurement ran; above this the figures are disturbed. */
export const BUSY_MACHINE_CORES = 0.25;

/**
 * Measures how busy the rest of the machine is during a measurement: the machine's busy CPU minus what this
 * process and the given children used, in cores. null where /proc is not there.
 */
export function otherLoadMeter(): { stop(pids: readonly number[], childCpuAtStart?: number, alsoExcluded?: number): number | null } {
  const startedAt = nowMs();
  const machine = machineBusySeconds();
  const own = process.cpuUsage();
  return {
    // alsoExcluded: CPU seconds of further processes that work for the server (its database), not counted as others.
    stop(pids, childCpuAtStart = 0, alsoExcluded = 0) {
      const after = machineBusySeconds();
      if (machine === null || after === null) return null;
      const wall = (nowMs() - startedAt) / 1000;
      const ownUsage = process.cpuUsage(own);
      let children = -childCpuAtStart;
      for (const pid of pids) {
        try {
          children += procCpuSeconds(pid);
        } catch {
          return null; // a child is gone: its CPU cannot be told apart
        }
      }
      const others = after - machine - (ownUsage.user + ownUsage.system) / 1e6 - children - alsoExcluded;
      return Math.max(0, others / wall);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until the rest of the machine has been quiet (below BUSY_MACHINE_CORES) for two half-second windows in a
 * row, at most `maxMs`; false if it never was (the caller measures anyway and reports the disturbance).
 */
export async function waitForQuiet(maxMs: number): Promise<boolean> {
  const deadline = nowMs() + maxMs;
  let quietWindows = 0;
  while (nowMs() < deadline) {
    const meter = otherLoadMeter();
    await sleep(500);
    const others = meter.stop([]);
    if (others === null) return true; // cannot tell: do not wait
    quietWindows = others <= BUSY_MACHINE_CORES ? quietWindows + 1 : 0;
    if (quietWindows >= 2) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// CPU pinning

export interface Pinning {
  /** The CPU the servers run on, and the CPU this process (the load generator) runs on. */
  readonly server: number;
  readonly loadGenerator: number;
  restore(): void;
}

/**
 * Moves this process (all its threads) to CPU 1 and returns the CPU for the servers (0), so that the server under
 * test and the load generator do not share a core; null where that is not possible (one CPU, no taskset).
 */
export function pinLoadGenerator(): Pinning | null {
  if (process.platform !== 'linux' || os.cpus().length < 2) return null;
  const pid = String(process.pid);
  const probe = spawnSync('taskset', ['-p', pid], { encoding: 'utf8' });
  const mask = /affinity mask: ([0-9a-f]+)/.exec(probe.stdout ?? '')?.[1];
  if (probe.status !== 0 || !mask) return null;
  if (spawnSync('taskset', ['-a', '-c', '-p', '1', pid], { stdio: 'ignore' }).status !== 0) return null;
  return {
    server: 0,
    loadGenerator: 1,
    restore: () => void spawnSync('taskset', ['-a', '-p', mask, pid], { stdio: 'ignore' }),
  };
}
