import type { Principal } from './auth.js';
import { html, type SafeHtml } from './html.js';

export interface PageFrame {
  title: string;
  principal: Principal | undefined;
  csrfToken?: string | undefined;
  /** Seconds between partial refreshes of `#live`, while something is still running. */
  refreshSeconds?: number | undefined;
}

/** The shell of every page: nav, who is logged in, and our one script (no inline JS, CSP-safe). */
export function layout(frame: PageFrame, body: SafeHtml): SafeHtml {
  const { principal } = frame;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · jobtally</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body${frame.refreshSeconds ? html` data-refresh="${frame.refreshSeconds}"` : ''}>
<header>
  <strong>jobtally</strong>
  <nav>
    <a href="/runs">Runs</a>
    <a href="/totals">Totals</a>
    <a href="/insight">Insight</a>
    <a href="/audit">Audit</a>
    <a href="/admin/queues">Queues</a>
    ${principal?.role === 'operator' ? html`<a href="/runs/new">New run</a>` : ''}
  </nav>
  ${
    principal
      ? html`<span class="who">${principal.name} (${principal.role})
          ${principal.name === 'local' ? '' : html`<form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${frame.csrfToken ?? ''}"><button type="submit">Log out</button></form>`}</span>`
      : ''
  }
</header>
<main>
<h1>${frame.title}</h1>
${body}
</main>
</body>
</html>`;
}

export const ASSET_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #1d2330; color: #fff; }
header a { color: #cfe0ff; margin-right: 1rem; } .who { margin-left: auto; }
main { padding: 1rem 1.2rem; } table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e6ee; } th a { color: inherit; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
[class^=status-] { display: inline-block; padding: .05rem .55rem; border-radius: 999px; font-size: 12px; font-weight: 600; }
.status-success { background: #e3f5e8; color: #0a6a29; } .status-error { background: #fde7e7; color: #a1221b; }
.status-pending, .status-processing { background: #fff3d6; color: #7a4f00; }
#new-run { display: flex; flex-direction: column; gap: .7rem; max-width: 32rem; } #new-run button, #login button { align-self: flex-start; }
#login { display: flex; flex-direction: column; gap: .7rem; max-width: 20rem; } fieldset { border: 1px solid #d5d9e3; border-radius: 4px; }
.counts a { display: inline-block; margin-right: 1rem; padding: .2rem .6rem; border-radius: 4px; background: #eef1f7; text-decoration: none; color: inherit; }
.counts a.active { background: #1d2330; color: #fff; } form.filters { display: flex; gap: .6rem; flex-wrap: wrap; align-items: end; }
label { display: flex; flex-direction: column; font-size: 12px; color: #555; } .field-error { color: #b3261e; font-size: 12px; }
.level-warn { color: #8a5a00; } .level-error { color: #b3261e; } form.inline { display: inline; } .over { color: #b3261e; } .gap { color: #8a5a00; font-style: italic; } .breach { font-size: 12px; }
pre.log { white-space: pre-wrap; } .chart { max-width: 900px; } .error-box { background: #fde7e7; padding: .5rem 1rem; border-radius: 4px; }
section { margin: 1.2rem 0 1.8rem; max-width: 1100px; } .section-head { display: flex; align-items: baseline; gap: 1rem; }
.section-head h2 { margin: 0; } a.csv { font-size: 12px; } h2 small, .muted { color: #667; font-weight: normal; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .8rem; margin: .7rem 0; }
.card { display: flex; flex-direction: column; gap: .2rem; padding: .7rem .9rem; border: 1px solid #e3e6ee; border-radius: 6px; background: #f8f9fc; }
.card .label { font-size: 12px; color: #555; } .card strong { font-size: 1.6rem; font-variant-numeric: tabular-nums; } .card .note { font-size: 12px; color: #667; }
.basis, .context { color: #445; margin: .4rem 0; } .empty, .empty-state { color: #556; } .empty-state { padding: 1rem; background: #f3f5f9; border-radius: 6px; max-width: 1100px; box-sizing: border-box; }
td.up { color: #a1221b; } td.down { color: #0a6a29; } td small { color: inherit; opacity: .8; } tr.group-total td { font-weight: 600; border-top: 1px solid #c9cedb; }
th.group { text-align: center; border-bottom: 1px solid #c9cedb; } .scroll { overflow-x: auto; } .nowrap { white-space: nowrap; }
.legend { display: flex; gap: 1rem; font-size: 12px; margin: .2rem 0 .6rem; } .legend-item { display: inline-flex; align-items: center; gap: .3rem; }
`;

/**
 * Partial refresh while runs are active: fetch the same URL, swap `#live`, keep scroll and focus.
 * Stops when the server no longer asks for it (nothing active).
 */
export const ASSET_JS = `
(function () {
  var seconds = Number(document.body.dataset.refresh || 0);
  if (!seconds) return;
  function tick() {
    if (document.hidden) return schedule();
    fetch(location.href, { headers: { 'x-partial': 'live' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (text) {
        var next = new DOMParser().parseFromString(text, 'text/html');
        var fresh = next.getElementById('live');
        var current = document.getElementById('live');
        if (fresh && current) current.replaceWith(fresh);
        if (next.body.dataset.refresh) schedule();
      })
      .catch(schedule);
  }
  function schedule() { setTimeout(tick, seconds * 1000); }
  schedule();
})();
`;
