/**
 * The mail a customer's users get when their license changes: which license, what changed in words, and what to do
 * on the License Manager's host — for an online license nothing (it syncs; `tessera-lm sync` does it now), for an
 * offline one copy the new key from the portal and load it with `tessera-lm load`. The key itself is never in the
 * mail: an online key lets anyone holding it pull the license, and an offline key, though it works only for its
 * LMID, names the customer and every term and would wait in mailboxes long after a later change superseded it; the
 * portal hands out the current one to a signed-in user. Plain text, as every mail of the License Center.
 */

/** The License Manager's default syncIntervalMinutes (packages/manager config.ts); its configuration may change it. */
export const LM_SYNC_MINUTES = 60;
/** Where `tessera-lm` reads its configuration unless told otherwise (packages/manager cli/context.ts). */
export const LM_CONFIG = '/etc/tessera-lm/config.yaml';

export interface ChangedLicense {
  id: string;
  productName: string;
  mode: 'online' | 'offline';
  lmid: string | null;
  status: 'active' | 'suspended' | 'ended';
  /** The serial after the change, which `tessera-lm info` shows once the License Manager holds it. */
  serial: number;
}

/** One recorded change: its kind (license_changes.kind) and its words (change-words.ts). */
export interface ToldChange {
  kind: string;
  words: string[];
}

export interface ChangeMail {
  subject: string;
  text: string;
}

/** The mail about `changes` (oldest first, one staff action's) of `license`, as it is after them. */
export function licenseChangeMail(license: ChangedLicense, changes: ToldChange[], licenseUrl: string): ChangeMail {
  const kinds = new Set(changes.map((c) => c.kind));
  const words = changes.flatMap((c) => c.words);
  const where = license.lmid === null ? 'not bound to a License Manager yet' : `bound to License Manager ${license.lmid}`;
  const lines = [
    `Your ${license.productName} license ${license.id} has changed (${license.mode} mode, ${where}; now serial ${license.serial}).`,
    '',
    'What changed:',
    ...(words.length > 0 ? words.map((w) => `- ${w}`) : ['- the license was signed again']),
    '',
    'What to do:',
    ...whatToDo(license, kinds, licenseUrl),
    '',
    `The license in the License Center, with its history: ${licenseUrl}`,
    '',
  ];
  return { subject: subjectOf(license, kinds), text: lines.join('\n') };
}

function subjectOf(license: ChangedLicense, kinds: Set<string>): string {
  const product = `Your ${license.productName} license`;
  if (license.status === 'suspended') return `${product} is suspended`;
  if (kinds.size === 1 && kinds.has('resumed')) return `${product} is resumed`;
  return mustLoad(license, kinds) ? `${product} has changed: load the new key` : `${product} has changed`;
}

/** An offline License Manager holds the signed license itself: every change but a resumption needs the new key loaded. */
const mustLoad = (license: ChangedLicense, kinds: Set<string>) =>
  license.status === 'active' && license.mode === 'offline' && license.lmid !== null && !(kinds.size === 1 && kinds.has('resumed'));

const CONFIG_NOTE = `(The commands read ${LM_CONFIG}; add --config FILE where the License Manager's configuration is elsewhere.)`;

/** What to do on the License Manager's host after `kinds` of changes, as lines (for mails that say more, e.g. the auto-renewal's). */
export function whatToDoText(license: ChangedLicense, kinds: string[], licenseUrl: string): string {
  return whatToDo(license, new Set(kinds), licenseUrl).join('\n');
}

function whatToDo(license: ChangedLicense, kinds: Set<string>, licenseUrl: string): string[] {
  if (license.status === 'suspended') {
    return [
      'Nothing can be loaded while the license is suspended: the License Center hands out no key for it' +
        (license.mode === 'online' ? ' and its License Manager cannot sync it' : '') +
        '. An offline key already loaded keeps working until it expires.',
      'If you do not know why, ask your contact at the vendor.',
    ];
  }
  if (license.status !== 'active') return ['Nothing: the license has ended. Ask your contact at the vendor for a new one.'];
  if (license.lmid === null) {
    return [
      `Bind your License Manager to it: open ${licenseUrl}, choose "Bind a License Manager" and enter its LMID`,
      '(`tessera-lm info` on its host shows it); the page then gives you the key and the command to load it.',
    ];
  }
  const loadSteps = (kind: 'online' | 'offline') => [
    `1. Copy the ${kind} key: open ${licenseUrl} and press "Copy ${kind} key".`,
    `2. On the host of License Manager ${license.lmid}, run`,
    '     tessera-lm load --key -',
    '   then paste the key and press Ctrl-D.',
    `\`tessera-lm info\` then shows serial ${license.serial}. ${CONFIG_NOTE}`,
  ];
  if (license.mode === 'online') {
    if (kinds.has('mode') || kinds.has('rebound')) {
      return [
        'The License Manager needs the online key once (if it does not hold it already); from then on it syncs by itself:',
        ...loadSteps('online'),
      ];
    }
    return [
      `Nothing: License Manager ${license.lmid} picks the change up at its next sync with the License Center, within its sync interval` +
        ` (${LM_SYNC_MINUTES} minutes unless syncIntervalMinutes in its configuration says otherwise). To have it now, run on its host`,
      '     tessera-lm sync',
      `\`tessera-lm info\` then shows serial ${license.serial}. ${CONFIG_NOTE}`,
    ];
  }
  if (!mustLoad(license, kinds)) {
    return ['Nothing to load: the offline key the License Manager holds keeps working, and the License Center hands out keys again.'];
  }
  return [
    `License Manager ${license.lmid} works offline: it keeps the key it holds, with the terms before this change, until you load the new one.`,
    'The key is not in this mail; copy it from the License Center, signed in:',
    ...loadSteps('offline'),
  ];
}
