/** Human output of the CLI: aligned "Key: value" lines and tables, no colours (they end up in logs and tickets). */
import type { InfoResponse, ReplicaInfo, UsageResponse } from '@tessera/core';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function lines(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([key]) => key.length)) + 2;
  return pairs.map(([key, value]) => `${(key + ':').padEnd(width)}${value}`).join('\n') + '\n';
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)].join('\n') + '\n';
}

export function formatInfo(info: InfoResponse): string {
  const pairs: [string, string][] = [
    ['LMID', info.lmid],
    ['LicenseStatus', `${info.status} (${info.code})`],
    ['Detail', info.detail],
    ['LicenseKey', info.licenseKey ?? '-'],
    ['Type', info.type ?? '-'],
    ['Product', info.product ?? '-'],
    ['Customer', info.customer ?? '-'],
  ];
  for (const [role, u] of Object.entries(info.nodes)) pairs.push([`${capitalize(role)} Node`, `${u.used}/${u.total} used`]);
  const limits = Object.entries(info.limits).map(([k, v]) => `${k}=${v}`);
  pairs.push(['Limits', limits.length ? limits.join(', ') : '-']);
  pairs.push(['Features', info.features.length ? info.features.join(', ') : '-']);
  pairs.push(['ExpireAt', info.expiresAt ? `${info.expiresAt}${info.daysLeft === null ? '' : ` (${info.daysLeft} days left)`}` : '-']);
  pairs.push(['Mode', info.mode ?? '-']);
  if (info.lastSync) {
    const when = info.lastSync.at ?? 'never';
    pairs.push(['LastSync', info.lastSync.ok === false ? `${when} failed: ${info.lastSync.error}` : when]);
  }
  const text = lines(pairs);
  return info.replicas ? `${text}\n${formatReplicas(info.replicas)}` : text;
}

/** Replicas sharing a database: a count, then one line each (live or not, which answered, which syncs). */
function formatReplicas(replicas: ReplicaInfo[]): string {
  const live = replicas.filter((r) => r.live).length;
  const rows = replicas.map((r) => [
    r.id,
    `${r.hostname}:${r.port}`,
    r.live ? 'live' : 'not live',
    r.lastSeenAt,
    [r.self ? 'this one' : '', r.syncs ? 'syncs' : ''].filter(Boolean).join(', ') || '-',
  ]);
  return `${lines([['Replicas', `${live} live of ${replicas.length}`]])}${table(['REPLICA', 'HOST', 'STATE', 'LAST SEEN', 'NOTE'], rows)}`;
}

export function formatUsage(usage: UsageResponse): string {
  const roles = table(
    ['ROLE', 'TOTAL', 'USED', 'FREE'],
    Object.entries(usage.roles).map(([role, u]) => [role, String(u.total), String(u.used), String(u.free)]),
  );
  const leases = usage.leases.length
    ? table(
        ['PRODUCT', 'ROLE', 'NODE', 'HOST', 'SINCE', 'EXPIRES'],
        usage.leases.map((l) => [l.product, l.role, l.nodeId, l.host ?? '-', l.since, l.expiresAt]),
      )
    : 'No seats are leased.\n';
  return `Status: ${usage.status}\n\n${roles}\n${leases}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
