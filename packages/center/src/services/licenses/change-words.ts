/**
 * A license change in words, as its history, the audit log and its customer's mail say it: one phrase per thing that
 * changed ("storage nodes 2 → 3", "feature federation added"), read from the row before and after the change, so
 * every way a license changes is worded the same way and nothing that changed goes unsaid.
 */

/** The columns of a licenses row that the words are made from (JSON columns as stored). */
export interface WordedRow {
  nodes: string;
  limits: string;
  features: string;
  starts_at: number;
  expires_at: number;
  status: 'active' | 'suspended' | 'ended';
  mode: 'online' | 'offline';
  lmid: string | null;
}

/** What changed from `before` to `after`, in words; empty when nothing a customer could see did. */
export function changeWords(before: WordedRow, after: WordedRow): string[] {
  const words: string[] = [];
  if (before.status !== after.status) words.push(statusWords(before.status, after.status));
  if (before.mode !== after.mode) words.push(`mode ${before.mode} → ${after.mode}`);
  if (before.lmid !== after.lmid) {
    words.push(
      before.lmid === null
        ? `bound to License Manager ${after.lmid}`
        : after.lmid === null
          ? `no longer bound to License Manager ${before.lmid}`
          : `License Manager ${before.lmid} → ${after.lmid}`,
    );
  }
  if (before.starts_at !== after.starts_at) words.push(`start ${moment(before.starts_at, after.starts_at)}`);
  if (before.expires_at !== after.expires_at) words.push(`expiry ${moment(before.expires_at, after.expires_at)}`);
  words.push(...countWords(parse(before.nodes), parse(after.nodes)));
  words.push(...limitWords(parse(before.limits), parse(after.limits)));
  words.push(...featureWords(JSON.parse(before.features) as string[], JSON.parse(after.features) as string[]));
  return words;
}

/** "outage grace 72 h → 24 h": the signed outage grace, which the row alone does not hold (it may follow the product). */
export const outageGraceWords = (previous: number, next: number): string => `outage grace ${previous} h → ${next} h`;

function statusWords(before: WordedRow['status'], after: WordedRow['status']): string {
  if (after === 'suspended') return 'suspended';
  if (before === 'suspended' && after === 'active') return 'resumed';
  return `status ${before} → ${after}`;
}

/** Nodes per role: a role left out has none, so every change is "from → to". */
function countWords(before: Record<string, number>, after: Record<string, number>): string[] {
  return namesOf(before, after)
    .filter((role) => (before[role] ?? 0) !== (after[role] ?? 0))
    .map((role) => `${role} nodes ${before[role] ?? 0} → ${after[role] ?? 0}`);
}

/** Named limits: a limit left out is not granted at all, which is not the same as 0. */
function limitWords(before: Record<string, number>, after: Record<string, number>): string[] {
  const words: string[] = [];
  for (const name of namesOf(before, after)) {
    const was = before[name];
    const is = after[name];
    if (was === is) continue;
    if (was === undefined) words.push(`limit ${name} ${is} added`);
    else if (is === undefined) words.push(`limit ${name} removed (was ${was})`);
    else words.push(`limit ${name} ${was} → ${is}`);
  }
  return words;
}

function featureWords(before: string[], after: string[]): string[] {
  return [
    ...after.filter((f) => !before.includes(f)).map((f) => `feature ${f} added`),
    ...before.filter((f) => !after.includes(f)).map((f) => `feature ${f} removed`),
  ];
}

const parse = (json: string) => JSON.parse(json) as Record<string, number>;
const namesOf = (a: Record<string, number>, b: Record<string, number>) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();

/** Two moments as days (UTC), or to the minute when they fall on the same day. */
function moment(before: number, after: number): string {
  const day = (at: number) => new Date(at).toISOString().slice(0, 10);
  if (day(before) !== day(after)) return `${day(before)} → ${day(after)}`;
  const minute = (at: number) => `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `${minute(before)} → ${minute(after)}`;
}
