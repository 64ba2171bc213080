/** How the portal writes dates, counts and states. */
import type { LicenseState } from './api';

const DAY = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** 2027-11-24, in the reader's time zone. */
export function day(at: number): string {
  const date = new Date(at);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** 2027-11-24 14:05 */
export function dayTime(at: number): string {
  const date = new Date(at);
  return `${day(at)} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "in 365 days", "today", "12 days ago". */
export function fromNow(at: number, now = Date.now()): string {
  const days = Math.round((at - now) / DAY);
  if (days === 0) return 'today';
  if (days > 0) return `in ${days} day${days === 1 ? '' : 's'}`;
  return `${-days} day${days === -1 ? '' : 's'} ago`;
}

/** "4 minutes ago" for a last sync. */
export function ago(at: number, now = Date.now()): string {
  const minutes = Math.round((now - at) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  return fromNow(at, now);
}

export const STATE_LABEL: Record<LicenseState, string> = {
  active: 'Active',
  expiring: 'Expiring',
  grace: 'Grace period',
  expired: 'Expired',
  suspended: 'Suspended',
  ended: 'Ended',
};

/** "query 3 · storage 5" */
export function nodesText(nodes: Record<string, number>): string {
  const entries = Object.entries(nodes);
  return entries.length ? entries.map(([role, count]) => `${role} ${count}`).join(' · ') : 'none';
}

export const modeLabel = (mode: 'online' | 'offline') => (mode === 'online' ? 'Online' : 'Offline');

/** "3.1 MB (3,145,728 bytes)": a file's size, in decimal units as file managers show it, with the exact count. */
export function sizeText(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} byte${bytes === 1 ? '' : 's'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  // 999.6 KB would round to "1000 KB": that is 1.0 MB.
  while (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit < 0) return exact;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]} (${exact})`;
}

/**
 * The name a package is stored under, from the chosen file's name: the License Center accepts letters, digits and
 * . _ + - only (the name goes into a Content-Disposition header), so "graphdb (1).tar.gz" becomes
 * "graphdb-1-.tar.gz" rather than a refusal the user must fix by renaming the file on disk.
 */
export function packageFileName(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._+-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 200);
  return cleaned === '' ? 'package' : cleaned;
}
