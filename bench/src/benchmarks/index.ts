/**
 * The registry of benchmarks, in the order `npm run bench` runs them. To add one, write a module exporting a
 * Benchmark (see lib/types.ts) and list it here; `npm run bench -- <name>` runs only the named ones.
 */
import type { Benchmark } from '../lib/types.js';
import { lcLicenseList } from './lc-license-list.js';
import { lcSync } from './lc-sync.js';
import { lmFailover } from './lm-failover.js';
import { lmHa } from './lm-ha.js';
import { lmLeasesMemory } from './lm-leases-memory.js';
import { lmRestart } from './lm-restart.js';
import { lmSeats } from './lm-seats.js';
import { offlineKey } from './offline-key.js';

export const BENCHMARKS: readonly Benchmark[] = [offlineKey, lmSeats, lmLeasesMemory, lmRestart, lmHa, lmFailover, lcSync, lcLicenseList];
