/**
 * The LM console at `/`: one HTML document with its CSS inline and its behaviour in the module the LM itself serves
 * at /console/browser.js (browser.ts), nothing from anywhere else, because the LM often runs air-gapped. Its content
 * policy allows that script and this style only: no inline script, no other origin. Every value from the license
 * or the leases is escaped; the admin token and the license key only ever travel in a POST body or header, never
 * in a URL.
 */
import { createHash } from 'node:crypto';
import { escapeHtml, NAME_PATTERN } from '@tessera/core';
import { lmTitle } from '../../config.js';
import type { InfoResponse, ReplicaInfo, LeaseView, LmStatus, UsageResponse } from '@tessera/core';

export interface ConsolePageOptions {
  requestCodeEnabled: boolean;
  /** The vendor as the LM's configuration names it (vendor:), for the header and the title. */
  vendor?: { name: string | null; supportEmail: string | null };
}

export type BannerTone = 'red' | 'amber' | 'green';

const TONES: Record<LmStatus, BannerTone> = {
  NotExist: 'red',
  Invalid: 'red',
  Expired: 'red',
  Expiring: 'amber',
  Grace: 'amber',
  Syncing: 'amber',
  Normal: 'green',
};

export function bannerTone(status: LmStatus): BannerTone {
  return TONES[status] ?? 'red';
}

export function renderConsolePage(info: InfoResponse, usage: UsageResponse, options: ConsolePageOptions): string {
  const tone = bannerTone(info.status);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml([info.status, lmTitle(info.name), options.vendor?.name].filter(Boolean).join(' · '))}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="banner banner-${tone}" role="status" aria-live="polite">
<div class="wrap">
<p class="lm-name">${lmNameHtml(info.name)} <span class="muted">v${escapeHtml(info.version)}</span></p>
${vendorLine(options.vendor)}
<h1>License status: <span id="status">${escapeHtml(info.status)}</span> <code id="code">${escapeHtml(info.code)}</code></h1>
<p id="detail">${escapeHtml(info.detail)}</p>
</div>
</header>
<main class="wrap">
${lmidSection(info)}
${info.replicas ? replicasSection(info.replicas) : ''}
${licenseSection(info)}
${usageSection(usage)}
<noscript><p class="note">The forms below need JavaScript. Without it, use the command line: <code>tessera-lm load --key …</code> and <code>tessera-lm request-code …</code>.</p></noscript>
${loadSection()}
${options.requestCodeEnabled ? requestCodeSection() : ''}
</main>
<footer class="wrap muted">Also available as JSON: <a href="/v1/info">/v1/info</a> · <a href="/v1/usage">/v1/usage</a> · Prometheus: <a href="/metrics">/metrics</a></footer>
<script type="module" src="/console/browser.js"></script>
</body>
</html>
`;
}

function lmidSection(info: InfoResponse): string {
  return `<section aria-labelledby="lmid-title">
<h2 id="lmid-title">LMID</h2>
<div class="copy-row"><div id="lmid" class="lmid">${escapeHtml(info.lmid)}</div>
<button type="button" class="copy" data-copy="lmid">Copy LMID</button></div>
<p class="muted">Give this LMID to your vendor to bind a license to this License Manager. ${
    info.replicas
      ? 'Every replica shows it: it belongs to the installation in the shared database.'
      : 'It belongs to this host: a copy of the data path on another host has another LMID.'
  }</p>
</section>`;
}

/** Replicas sharing a database: which are live (seen in the last 10 s), which answered this page, which syncs. */
function replicasSection(replicas: ReplicaInfo[]): string {
  const live = replicas.filter((r) => r.live).length;
  const row = (r: ReplicaInfo) =>
    `<tr><td>${escapeHtml(r.id)}</td><td>${escapeHtml(`${r.hostname}:${r.port}`)}</td><td>${r.live ? 'live' : '<strong>not live</strong>'}</td>` +
    `<td>${escapeHtml(formatTime(r.lastSeenAt))}</td><td>${escapeHtml([r.self ? 'this page' : '', r.syncs ? 'syncs' : ''].filter(Boolean).join(', ') || '—')}</td></tr>`;
  return `<section aria-labelledby="replicas-title">
<h2 id="replicas-title">Replicas</h2>
<p id="replicas-live">${live} live of ${replicas.length}, sharing one database.</p>
<div class="scroll"><table id="replicas"><thead><tr><th scope="col">Replica</th><th scope="col">Host</th><th scope="col">State</th><th scope="col">Last seen</th><th scope="col">Note</th></tr></thead>
<tbody>
${replicas.map(row).join('\n')}
</tbody></table></div>
</section>`;
}

function licenseSection(info: InfoResponse): string {
  if (info.licenseId === null && info.licenseKey === null) {
    return `<section aria-labelledby="license-title"><h2 id="license-title">License</h2><p>No license is loaded. Paste a license key below.</p></section>`;
  }
  const sync = info.lastSync;
  const syncOutcome = !sync || sync.ok === null ? '' : sync.ok ? ' · succeeded' : ` · failed${sync.error ? `: ${sync.error}` : ''}`;
  const syncText = !sync ? 'Not synced (offline key)' : sync.at === null ? 'Not synced yet' : `${formatTime(sync.at)}${syncOutcome}`;
  const rows: [string, string][] = [
    ...(info.mode === 'online' ? [['License key', info.licenseKey ?? '—'] as [string, string]] : []),
    ['License id', `${info.licenseId ?? '—'}${info.serial === null ? '' : ` (serial ${info.serial})`}`],
    ['Product', info.product ?? '—'],
    ['Customer', info.customer ?? '—'],
    ['Mode', info.mode ?? '—'],
    ['Type', info.type ?? '—'],
    ['Starts', formatTime(info.startsAt)],
    ['Expires', formatTime(info.expiresAt)],
    ['Days left', info.daysLeft === null ? '—' : String(info.daysLeft)],
    ['Last sync', syncText],
  ];
  const limits = Object.entries(info.limits);
  if (limits.length > 0) rows.push(['Limits', limits.map(([name, n]) => `${name}: ${n}`).join(', ')]);
  if (info.features.length > 0) rows.push(['Features', info.features.join(', ')]);
  return `<section aria-labelledby="license-title">
<h2 id="license-title">License</h2>
<dl class="facts">${rows.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>
</section>`;
}

function usageSection(usage: UsageResponse): string {
  const roles = Object.entries(usage.roles);
  const roleRows = roles
    .map(
      ([role, u]) =>
        `<tr><td>${escapeHtml(role)}</td><td class="num">${u.total}</td><td class="num">${u.used}</td><td class="num">${u.free}</td></tr>`,
    )
    .join('\n');
  const leaseRow = (l: LeaseView) =>
    `<tr><td>${escapeHtml(l.product)}</td><td>${escapeHtml(l.role)}</td><td>${escapeHtml(l.nodeId)}</td><td>${escapeHtml(l.host ?? '—')}</td>` +
    `<td>${escapeHtml(formatTime(l.since))}</td><td>${escapeHtml(formatTime(l.expiresAt))}</td></tr>`;
  return `<section aria-labelledby="usage-title">
<h2 id="usage-title">Usage</h2>
${
  roles.length === 0
    ? '<p>No node seats: no usable license is loaded.</p>'
    : `<div class="scroll"><table id="usage"><thead><tr><th scope="col">Role</th><th scope="col">Total</th><th scope="col">Used</th><th scope="col">Free</th></tr></thead>
<tbody>
${roleRows}
</tbody></table></div>`
}
<h3>Leases</h3>
${
  usage.leases.length === 0
    ? '<p>No seats are leased.</p>'
    : `<div class="scroll"><table id="leases"><thead><tr><th scope="col">Product</th><th scope="col">Role</th><th scope="col">Node id</th><th scope="col">Host</th><th scope="col">Since</th><th scope="col">Expires</th></tr></thead>
<tbody>
${usage.leases.map(leaseRow).join('\n')}
</tbody></table></div>`
}
</section>`;
}

const TOKEN_HELP =
  'The admin token is in the file <code>admin.token</code> in this License Manager’s data path (<code>dataPath</code> in its config); ' +
  'only someone who can read that file can change the license. It is sent in a request header, never stored by this page.';

function loadSection(): string {
  return `<section aria-labelledby="load-title">
<h2 id="load-title">Paste a license key and activate</h2>
<p class="muted">The same box takes the other documents your vendor sends: a clock reset (after a clock set ahead by mistake) and a trust bundle.</p>
<form id="load-form" method="post" action="/v1/admin/load" novalidate>
<label for="load-key">License key (online key or offline key), clock reset or trust bundle</label>
<textarea id="load-key" name="key" rows="4" required spellcheck="false" autocomplete="off" autocapitalize="off"></textarea>
<label for="load-token">Admin token</label>
<input id="load-token" name="token" type="password" required autocomplete="off">
<p class="muted">${TOKEN_HELP}</p>
<label class="check"><input id="load-force" name="force" type="checkbox"> Load a license even if it is expired or not yet valid (force)</label>
<button type="submit">Activate</button>
<p id="load-error" class="error" role="alert" hidden></p>
<p id="load-result" class="ok" role="status" hidden></p>
</form>
</section>`;
}

function requestCodeSection(): string {
  return `<section aria-labelledby="request-title">
<h2 id="request-title">Make a request code</h2>
<p class="muted">For an air-gapped site: send the request code to your vendor, who answers with an offline license key to paste above. It also carries this License Manager's clock high-water mark, for a clock reset.</p>
<form id="request-form" method="post" action="/v1/admin/request-code" data-name-pattern="${escapeHtml(NAME_PATTERN)}" novalidate>
<label for="request-name">Contact name</label>
<input id="request-name" name="name" required autocomplete="name">
<label for="request-email">Email</label>
<input id="request-email" name="email" type="email" required autocomplete="email">
<label for="request-phone">Phone (optional)</label>
<input id="request-phone" name="phone" type="tel" autocomplete="tel">
<label for="request-nodes">Nodes per role, e.g. query=3,storage=5</label>
<input id="request-nodes" name="nodes" required spellcheck="false" autocapitalize="off" placeholder="query=3,storage=5">
<label for="request-months">Months (optional, 1 to 120)</label>
<input id="request-months" name="months" type="number" min="1" max="120" step="1" inputmode="numeric">
<label for="request-token">Admin token</label>
<input id="request-token" name="token" type="password" required autocomplete="off">
<p class="muted">${TOKEN_HELP}</p>
<button type="submit">Make request code</button>
<p id="request-error" class="error" role="alert" hidden></p>
<div id="request-result" hidden>
<label for="request-code">Request code: send it to your vendor</label>
<textarea id="request-code" rows="5" readonly spellcheck="false"></textarea>
<button type="button" class="copy" data-copy="request-code">Copy request code</button>
</div>
</form>
</section>`;
}

/** "2026-11-24T12:00:00.000Z" → "2026-11-24 12:00 UTC"; anything else is shown as it is. */
function formatTime(iso: string | null): string {
  if (iso === null) return '—';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;background:#f6f7f9}
.wrap{max-width:60rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;margin:0 0 .6rem}h3{font-size:1rem;margin:1rem 0 .4rem}
.banner{padding:1rem 0;border-bottom:4px solid}
.banner p{margin:.2rem 0}
.banner-red{background:#fdecea;border-color:#b42318;color:#7a1a12}
.banner-amber{background:#fff6e0;border-color:#b54708;color:#6e2c05}
.banner-green{background:#e8f6ee;border-color:#067647;color:#054f30}
.banner code{font-size:.9rem;padding:.1rem .4rem;border-radius:4px;background:rgba(255,255,255,.7)}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:1rem;margin:1rem 0}
.muted{color:#5b6475;font-size:.9rem}
.note{background:#fff6e0;padding:.6rem;border-radius:6px}
.copy-row{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center}
.lmid{font:600 clamp(1.2rem,5vw,2rem)/1.2 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:.05em;word-break:break-all;user-select:all}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
.facts dt{color:#5b6475}.facts dd{margin:0;word-break:break-word}
@media (max-width:32rem){.facts{grid-template-columns:1fr}.facts dd{margin-bottom:.4rem}}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e5e8ed;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
form{display:flex;flex-direction:column;gap:.35rem}
label{font-weight:600;margin-top:.4rem}
label.check{font-weight:normal;display:flex;gap:.5rem;align-items:flex-start}
input,textarea{font:inherit;width:100%;padding:.45rem .55rem;border:1px solid #b9c0cc;border-radius:6px;background:#fff}
input[type=checkbox]{width:auto;margin-top:.3rem}
textarea{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;word-break:break-all}
button{font:inherit;align-self:flex-start;padding:.45rem 1rem;border:0;border-radius:6px;background:#1f4fd1;color:#fff;cursor:pointer}
button.copy{background:#e8ecf5;color:#1d2433;border:1px solid #b9c0cc}
button:disabled{opacity:.6;cursor:progress}
.error{color:#b42318;font-weight:600;margin:.3rem 0}
.ok{color:#067647;font-weight:600;margin:.3rem 0}
footer{padding:1rem;font-size:.85rem}
`;

/**
 * The page's content policy: scripts from the LM itself (the console modules), this page's one style by its hash,
 * fetches to the LM; nothing may frame it, since it takes the admin token (clickjacking).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** "tessera-lm <strong>eu-1</strong>", or the name alone, in bold, when it says tessera-lm already. */
function lmNameHtml(name: string): string {
  const title = lmTitle(name);
  return title === name ? `<strong>${escapeHtml(name)}</strong>` : `tessera-lm <strong>${escapeHtml(name)}</strong>`;
}

/** "Acme Software · support: help@acme.example", or nothing when the configuration names no vendor. */
function vendorLine(vendor: ConsolePageOptions['vendor']): string {
  if (!vendor?.name && !vendor?.supportEmail) return '';
  const support = vendor.supportEmail
    ? `support: <a href="mailto:${escapeHtml(vendor.supportEmail)}">${escapeHtml(vendor.supportEmail)}</a>`
    : '';
  return `<p class="vendor">${[vendor.name ? escapeHtml(vendor.name) : '', support].filter(Boolean).join(' · ')}</p>`;
}
