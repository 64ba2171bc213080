/**
 * GET /metrics: the License Manager's state in the Prometheus text exposition format 0.0.4, clean under
 * `promtool check metrics` (test/metrics.test.ts): base units (seconds), `_total` only on counters.
 *
 * Renamed in this release (the upgrade note in docs/license-manager.md): tessera_lm_license_days_left (days) is
 * tessera_lm_license_remaining_seconds, and tessera_lm_seats_total (a gauge, not a counter) is tessera_lm_seats_limit.
 */
import type { LmStatus } from '@tessera/core';

export interface MetricsSnapshot {
  status: LmStatus;
  /** Seconds until the license expires (negative after), null when no license is in force to count from. */
  licenseRemainingSeconds: number | null;
  roles: Record<string, { total: number; used: number }>;
  /** refused seat checkouts, by code */
  refusals: Record<string, number>;
  syncFailures: number;
  syncSuccesses: number;
  /** epoch ms */
  lastSyncAt: number | null;
  leasesActive: number;
  /** process start, epoch ms */
  up: number;
}

/** Every status gets a sample, so an alert on `tessera_lm_license_status{status="Expired"} == 1` always has a series. */
const STATUSES: readonly LmStatus[] = ['NotExist', 'Normal', 'Expiring', 'Grace', 'Expired', 'Invalid', 'Syncing'];

type Labels = Record<string, string>;

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter', help: string, samples: [Labels, number][]): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export function renderMetrics(s: MetricsSnapshot): string {
  const out = new Exposition();
  const roles = Object.keys(s.roles).sort();
  const codes = Object.keys(s.refusals).sort();
  out.family(
    'tessera_lm_license_status',
    'gauge',
    'License status of this License Manager: 1 for the current status, 0 for the others.',
    STATUSES.map((status) => [{ status }, status === s.status ? 1 : 0]),
  );
  out.family(
    'tessera_lm_license_remaining_seconds',
    'gauge',
    'Seconds until the license expires by the License Manager clock; negative once it has expired (grace days count from there).',
    s.licenseRemainingSeconds === null ? [] : [[{}, s.licenseRemainingSeconds]],
  );
  out.family(
    'tessera_lm_seats_limit',
    'gauge',
    'Node seats the license grants, per role.',
    roles.map((role) => [{ role }, s.roles[role]!.total]),
  );
  out.family(
    'tessera_lm_seats_used',
    'gauge',
    'Node seats leased now, per role.',
    roles.map((role) => [{ role }, s.roles[role]!.used]),
  );
  out.family(
    'tessera_lm_seat_refusals_total',
    'counter',
    'Seat checkouts refused since start, by code.',
    codes.map((code) => [{ code }, s.refusals[code]!]),
  );
  out.family('tessera_lm_sync_failures_total', 'counter', 'Syncs with the License Center that failed since start.', [[{}, s.syncFailures]]);
  out.family('tessera_lm_sync_successes_total', 'counter', 'Syncs with the License Center that succeeded since start.', [
    [{}, s.syncSuccesses],
  ]);
  out.family(
    'tessera_lm_last_sync_timestamp_seconds',
    'gauge',
    'When the License Manager last tried to sync with the License Center (Unix time).',
    s.lastSyncAt === null ? [] : [[{}, s.lastSyncAt / 1000]],
  );
  out.family('tessera_lm_leases_active', 'gauge', 'Seat leases held now.', [[{}, s.leasesActive]]);
  out.family('tessera_lm_start_time_seconds', 'gauge', 'When the License Manager process started (Unix time).', [[{}, s.up / 1000]]);
  return out.text();
}

/** Counts refused seat checkouts by code, for tessera_lm_seat_refusals_total. */
export class RefusalCounter {
  private readonly counts = new Map<string, number>();

  count(code: string): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** Label values escape backslash, double quote and line feed (format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
