/**
 * The controller's status page at `/`: one server-rendered HTML document with inline CSS and nothing external
 * (guard runs in clusters without internet access). Every value is escaped. It refreshes itself every 10 s with
 * a meta tag, so a license change shows without a script.
 */
import type { GuardStatus } from './status.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function renderStatusPage(status: GuardStatus): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>guard controller · license ${escapeHtml(status.license.status)}</title>
<style>${STYLE}</style>
</head>
<body>
${banner(status)}
<main>
<h1>guard controller</h1>
<section aria-labelledby="nodes-h">
<h2 id="nodes-h">Managed nodes</h2>
<p class="count">Managed node count: <strong id="managed-nodes">${status.managedNodes}</strong>
<span class="muted">of ${status.license.enforcerSeats} enforcer seat${status.license.enforcerSeats === 1 ? '' : 's'} licensed</span></p>
${enforcerTable(status)}
</section>
<section aria-labelledby="clusters-h">
<h2 id="clusters-h">Remote clusters</h2>
<p>Joined <strong id="clusters-joined">${status.clusters.joined.length}</strong> of <strong id="clusters-limit">${status.clusters.limit}</strong>
allowed (limit <code>${escapeHtml(status.clusters.limitName)}</code>).</p>
${clusterList(status)}
</section>
<section aria-labelledby="features-h">
<h2 id="features-h">Features</h2>
<ul class="features">
${Object.entries(status.features)
  .map(([name, on]) => `<li><code>${escapeHtml(name)}</code> <span class="${on ? 'on' : 'off'}">${on ? 'on' : 'off'}</span></li>`)
  .join('\n')}
</ul>
</section>
<section aria-labelledby="license-h">
<h2 id="license-h">License</h2>
<dl>
<dt>Status</dt><dd id="license-status">${escapeHtml(status.license.status)} <code>${escapeHtml(status.license.code)}</code></dd>
<dt>License</dt><dd>${escapeHtml(status.license.licenseId ?? 'none')}${status.license.serial === null ? '' : ` (serial ${status.license.serial})`}</dd>
<dt>Expires</dt><dd>${escapeHtml(status.license.expiresAt ?? '-')}</dd>${
    status.license.outage
      ? `\n<dt>Outage grace</dt><dd id="outage-grace">until ${escapeHtml(status.license.outage.graceEndsAt)} (License Manager silent since ${escapeHtml(status.license.outage.since)})</dd>`
      : ''
  }
</dl>
</section>
</main>
</body>
</html>
`;
}

function banner(status: GuardStatus): string {
  const b = status.banner;
  if (!b) return '';
  const title =
    b.tone === 'red'
      ? 'The license is not valid'
      : b.status === 'Degraded'
        ? 'The License Manager is not answering'
        : 'The license needs attention';
  return `<header class="banner banner-${b.tone}" role="alert">
<p class="banner-title"><strong>${title}:</strong> ${escapeHtml(b.status)} <code>${escapeHtml(b.code)}</code></p>
<p id="banner-message">${escapeHtml(b.message)}</p>
</header>`;
}

function enforcerTable(status: GuardStatus): string {
  if (status.enforcers.length === 0) return '<p class="muted" id="no-enforcers">No enforcer is connected.</p>';
  const rows = status.enforcers
    .map(
      (e) =>
        `<tr><td>${escapeHtml(e.nodeId)}</td><td>${escapeHtml(e.host ?? '-')}</td><td>${escapeHtml(e.connectedAt)}</td><td>${escapeHtml(e.lastSeenAt)}</td></tr>`,
    )
    .join('\n');
  return `<table id="enforcers">
<thead><tr><th scope="col">Node</th><th scope="col">Host</th><th scope="col">Connected</th><th scope="col">Last heartbeat</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function clusterList(status: GuardStatus): string {
  if (status.clusters.joined.length === 0) return '<p class="muted">No remote cluster is joined.</p>';
  return `<ul id="clusters">
${status.clusters.joined.map((c) => `<li>${escapeHtml(c.name)} <span class="muted">since ${escapeHtml(c.joinedAt)}</span></li>`).join('\n')}
</ul>`;
}

const STYLE = `
body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1d2125;background:#f6f7f9}
main{max-width:56rem;margin:0 auto;padding:1rem 1.5rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
.banner{padding:.75rem 1.5rem;border-bottom:2px solid}
.banner p{margin:.2rem auto;max-width:56rem}
.banner-red{background:#fbe4e4;border-color:#b42318;color:#7a1010}
.banner-amber{background:#fff4d6;border-color:#b54708;color:#6b3a00}
.count strong{font-size:1.6rem}
.muted{color:#5b6470}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #dde1e6}
.features{list-style:none;padding:0}.features li{margin:.2rem 0}
.on{color:#05603a;font-weight:600}.off{color:#5b6470}
dl{display:grid;grid-template-columns:8rem 1fr;gap:.2rem .8rem}dd{margin:0}
code{background:#eceef1;padding:0 .25rem;border-radius:3px}
`;
