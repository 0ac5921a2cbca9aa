import type { Config } from '../config/load.js';
import type { FieldIssue } from '../errors.js';
import { formatCount, formatDuration, formatPercent } from '../format.js';
import { JOB_CATALOG } from '../jobs/catalog.js';
import { metricTable } from '../metrics/table.js';
import type { DateState } from '../insight/completeness.js';
import { toCsv } from './csv.js';
import type { TotalsReport } from './totals-report.js';
import { statusName, type RunDetail, type RunListRow, type RunPage, type StatusCounts } from '../persistence/runs-repository.js';
import { RUN_STATUS_NAMES, type AuditEntry, type RunStatusName } from '../persistence/schema.js';
import { aggregateJobId, fetchJobId, QUEUE_NAMES } from '../queues/names.js';
import { toShortId } from '../runs/names.js';
import type { Principal } from './auth.js';
import { html, type SafeHtml } from './html.js';
import { dailyTotalsChart } from './chart.js';
import { encodeCursor, listUrl, type RunListQuery } from './run-query.js';

const COLUMNS: { key: RunListQuery['sort'] | undefined; label: string; numeric?: boolean }[] = [
  { key: 'name', label: 'Run' },
  { key: undefined, label: 'Id' },
  { key: 'client', label: 'Client' },
  { key: 'job', label: 'Job' },
  { key: 'status', label: 'Status' },
  { key: 'total', label: 'Total / limit', numeric: true },
  { key: 'trigger', label: 'Trigger' },
  { key: 'retries', label: 'Retries', numeric: true },
  { key: 'created', label: 'Started' },
  { key: 'finished', label: 'Finished' },
  { key: 'duration', label: 'Duration', numeric: true },
];

/** `YYYY-MM-DD hh:mm:ss` in UTC; '' for no date. */
export function time(date: Date | null | undefined): string {
  if (!date) return '';
  const year = date.getUTCFullYear();
  // Reading the UTC fields costs half what toISOString does, which is left the years it writes
  // signed and six digits long (and an invalid date, which it refuses).
  if (!(year >= 0 && year <= 9999)) return isoTime(date);
  const day = `${String(year).padStart(4, '0')}-${twoDigits(date.getUTCMonth() + 1)}-${twoDigits(date.getUTCDate())}`;
  return `${day} ${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())}`;
}

function isoTime(date: Date): string {
  const iso = date.toISOString();
  const separator = iso.indexOf('T');
  return `${iso.slice(0, separator)} ${iso.slice(separator + 1, 19)}`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** Built once: every row of the run list shows one of these few. */
const STATUS_CELLS = Object.fromEntries(RUN_STATUS_NAMES.map((status) => [status, html`<span class="status-${status}">${status}</span>`])) as Record<RunStatusName, SafeHtml>;

function statusCell(status: RunStatusName): SafeHtml {
  return STATUS_CELLS[status];
}

function totalCell(total: number | null, limit: number | null): SafeHtml | string {
  if (total === null || limit === null) return '';
  return html`<span class="${total > limit ? 'over' : ''}">${formatCount(total)} / ${formatCount(limit)}</span>`;
}

export function runsPage(input: { query: RunListQuery; page: RunPage; counts: StatusCounts; firstPage: boolean }): SafeHtml {
  const { query, page, counts } = input;
  const base = '/runs';
  const current = new Set(query.status ?? []);
  const statusLinks = RUN_STATUS_NAMES.map(
    (status) =>
      html`<a class="${current.size === 1 && current.has(status) ? 'active' : ''}" href="${listUrl(base, query, { status: current.size === 1 && current.has(status) ? undefined : status, cursor: undefined })}">${status} <strong>${formatCount(counts[status])}</strong></a>`,
  );
  const header = COLUMNS.map((column) => {
    if (!column.key) return html`<th class="${column.numeric ? 'num' : ''}">${column.label}</th>`;
    const active = query.sort === column.key;
    const dir = active && query.dir === 'desc' ? 'asc' : 'desc';
    const arrow = active ? (query.dir === 'desc' ? ' ↓' : ' ↑') : '';
    return html`<th class="${column.numeric ? 'num' : ''}"><a href="${listUrl(base, query, { sort: column.key, dir, cursor: undefined })}">${column.label}${arrow}</a></th>`;
  });
  const rows = page.rows.map((row) => runRow(row));
  return html`
<p class="counts">${statusLinks}</p>
<form class="filters" method="get" action="/runs">
  <label>Client <input name="client" value="${query.client ?? ''}"></label>
  <label>Status <select name="status"><option value="">any</option>${RUN_STATUS_NAMES.map((status) => html`<option value="${status}"${current.size === 1 && current.has(status) ? ' selected' : ''}>${status}</option>`)}</select></label>
  <label>Job <input name="job" value="${query.job ?? ''}"></label>
  <label>From <input type="date" name="from" value="${query.from ?? ''}"></label>
  <label>To <input type="date" name="to" value="${query.to ?? ''}"></label>
  <input type="hidden" name="sort" value="${query.sort}"><input type="hidden" name="dir" value="${query.dir}">
  <button type="submit">Filter</button> <a href="/runs">Reset</a>
</form>
<div id="live">
<table id="runs">
<thead><tr>${header}</tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="${COLUMNS.length}">No runs match these filters.</td></tr>`}</tbody>
</table>
<p class="pager">
  ${input.firstPage ? '' : html`<a href="${listUrl(base, query, { cursor: undefined })}">First page</a>`}
  ${page.nextCursor ? html`<a rel="next" href="${listUrl(base, query, { cursor: encodeCursor(page.nextCursor) })}">Next page</a>` : ''}
</p>
</div>`;
}

function runRow(row: RunListRow): SafeHtml {
  const duration = row.startedAt && row.finishedAt ? formatDuration(row.finishedAt.getTime() - row.startedAt.getTime()) : '';
  return html`<tr>
<td><a href="/runs/${row.name}">${row.name}</a></td><td>${toShortId(row.name)}</td><td>${row.client}</td><td>${row.job}</td>
<td>${statusCell(statusName(row.status))}</td><td class="num">${totalCell(row.total, row.limit)}</td><td>${row.trigger}</td>
<td class="num">${row.retryCount}</td><td>${time(row.createdAt)}</td><td>${time(row.finishedAt)}</td><td class="num">${duration}</td>
</tr>`;
}

function breakdownList(title: string, values: Record<string, number> | undefined): SafeHtml | string {
  if (!values || Object.keys(values).length === 0) return '';
  const entries = Object.entries(values).sort((left, right) => right[1] - left[1]);
  return html`<details><summary>${title}</summary><table>${entries.map(([key, count]) => html`<tr><td>${key}</td><td class="num">${formatCount(count)}</td></tr>`)}</table></details>`;
}

/** The run's metrics with the rule each was joined by, and every source's own value. */
function metricsSection(detail: RunDetail): SafeHtml | string {
  const sources = detail.counts.map((count) => count.source);
  const rows = metricTable(detail.metrics, sources);
  if (rows.length === 0) return '';
  return html`<h2>Metrics</h2>
<table id="metrics"><thead><tr><th>Metric</th><th>Rule</th><th class="num">Run</th>${sources.map((source) => html`<th class="num">${source}</th>`)}</tr></thead>
<tbody>${rows.map(
    (row) => html`<tr data-metric="${row.metric}"><td>${row.label}</td><td>${row.rule ?? ''}</td><td class="num">${row.run ?? '–'}</td>${row.bySource.map((value) => html`<td class="num">${value ?? '–'}</td>`)}</tr>`,
  )}</tbody></table>`;
}

export function runDetailPage(input: { detail: RunDetail; principal: Principal | undefined; csrfToken: string }): SafeHtml {
  const { run, details, counts, total, retries } = input.detail;
  const status = statusName(run.status);
  const sources = run.scopeSources ?? (Array.isArray(run.parameters.sources) ? (run.parameters.sources as string[]) : counts.map((count) => count.source));
  const board = (queue: string, jobId: string) => `/admin/queues/queue/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}`;
  return html`
<p>${statusCell(status)} · ${toShortId(run.name)} · client ${run.client} · job ${run.job} · business date ${run.businessDate} · trigger ${run.trigger}</p>
${run.message ? html`<p class="${status === 'error' ? 'error-box' : ''}" id="run-message">${run.message}</p>` : ''}
<div id="live">
<h2>Counts</h2>
<table id="counts"><thead><tr><th>Source</th><th class="num">Count</th><th class="num">Fetch</th><th>Breakdown</th></tr></thead>
<tbody>${counts.map(
    (count) => html`<tr><td>${count.source}</td><td class="num">${formatCount(count.count)}</td><td class="num">${formatDuration(count.durationMs)}</td>
<td>${breakdownList('by status', count.breakdown?.byStatus)}${breakdownList('by application', count.breakdown?.byApplication)}${breakdownList('by server', count.breakdown?.byServer)}${breakdownList('by type', count.breakdown?.byType)}${breakdownList('servers up (1) or not (0)', count.breakdown?.serverUp)}</td></tr>`,
  )}</tbody></table>
<p id="total">${total ? html`Total <strong class="${total.total > total.limit ? 'over' : ''}">${formatCount(total.total)}</strong> of limit ${formatCount(total.limit)} (${formatPercent(total.total, total.limit)}): the figure of ${run.client} for ${run.businessDate} if no later run replaced it` : countedTotalLine(run)}</p>
<p id="scope">${run.complete ? 'Complete scope' : html`<strong>Partial scope</strong> (an ad-hoc check, never a figure)`}: ${sources.join(', ')}${run.scopeLimit === null ? '' : html`; limit ${formatCount(run.scopeLimit)}`}.</p>
${metricsSection(input.detail)}
<h2>Log</h2>
<table id="log"><tbody>${details.map(
    (line) => html`<tr class="level-${line.level}"><td>${time(line.createdAt)}</td><td>${line.level}</td><td>${line.message}</td></tr>`,
  )}</tbody></table>
</div>
<h2>Queue jobs</h2>
<ul id="jobs">
  <li><a href="${board(QUEUE_NAMES.aggregate, aggregateJobId(run.name))}">${QUEUE_NAMES.aggregate} ${aggregateJobId(run.name)}</a></li>
  ${sources.map((source) => html`<li><a href="${board(QUEUE_NAMES.fetch, fetchJobId(run.name, source))}">${QUEUE_NAMES.fetch} ${fetchJobId(run.name, source)}</a></li>`)}
</ul>
<h2>Retries</h2>
<p>${run.retriedFrom ? html`Retry #${run.retryCount} of <a href="/runs/${run.retriedFrom}">${run.retriedFrom}</a>.` : 'Original run.'}
${retries.length > 0 ? html` Retried as ${retries.map((retry, index) => html`${index > 0 ? ', ' : ''}<a href="/runs/${retry.name}">${retry.name}</a> (${statusName(retry.status)})`)}.` : ''}</p>
${
  status === 'error' && input.principal?.role === 'operator'
    ? html`<form method="post" action="/runs/${run.name}/retry"><input type="hidden" name="_csrf" value="${input.csrfToken}"><button type="submit" id="retry">Retry this run</button></form>`
    : ''
}`;
}

/** A run without a figure: what it counted, when it counted all its sources. */
function countedTotalLine(run: RunDetail['run']): SafeHtml | string {
  if (run.countedTotal === null) return 'No total stored.';
  const limit = run.scopeLimit ?? (typeof run.parameters.limit === 'number' ? run.parameters.limit : null);
  const breach = limit !== null && run.countedTotal > limit;
  return html`Counted <strong class="${breach ? 'over' : ''}">${formatCount(run.countedTotal)}</strong>${limit === null ? '' : html` against the limit ${formatCount(limit)}`}: ${breach ? 'a breach, refused: not a figure' : 'not a figure (partial scope)'}.`;
}

export function newRunPage(input: { config: Pick<Config, 'sources'>; csrfToken: string; values: Record<string, unknown>; issues: FieldIssue[] }): SafeHtml {
  const errorFor = (field: string) => {
    const messages = input.issues.filter((issue) => issue.path === field || issue.path.startsWith(`${field}[`) || issue.path.startsWith(`${field}.`));
    return messages.length > 0 ? html`<span class="field-error" id="error-${field}">${messages.map((issue) => issue.message).join('; ')}</span>` : '';
  };
  const shape = JOB_CATALOG['license-count'].parameters.shape;
  const chosen = new Set(Array.isArray(input.values.sources) ? (input.values.sources as string[]) : []);
  const general = input.issues.filter((issue) => !['client', 'date', 'sources'].some((field) => issue.path.startsWith(field)));
  return html`
<p>${JOB_CATALOG['license-count'].description}</p>
${general.length > 0 ? html`<p class="error-box">${general.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}</p>` : ''}
<form method="post" action="/runs" id="new-run">
  <input type="hidden" name="_csrf" value="${input.csrfToken}">
  <label>Client (${shape.client.description ?? ''}) <input name="client" value="${typeof input.values.client === 'string' ? input.values.client : 'default'}">${errorFor('client')}</label>
  <label>Business date (${shape.date.description ?? ''}) <input type="date" name="date" value="${typeof input.values.date === 'string' ? input.values.date : ''}">${errorFor('date')}</label>
  <fieldset><legend>Sources (${shape.sources.description ?? ''})</legend>
    ${input.config.sources.map((source) => html`<label><span><input type="checkbox" name="sources" value="${source.name}"${chosen.has(source.name) ? ' checked' : ''}> ${source.name}</span></label>`)}
    ${errorFor('sources')}
  </fieldset>
  <button type="submit">Start run</button>
</form>`;
}

const GAP_LABELS: Record<DateState, string> = { complete: 'complete', failing: 'failing', 'partial-only': 'partial scope only', running: 'running', 'no-run': 'no run' };

/**
 * Each client's figures side by side (its own chart and limit), breach days marked with what the
 * refused run counted and a link to it, gaps listed, and under a shared license the clients' sum.
 */
export function totalsPage(report: TotalsReport): SafeHtml {
  const csv = listUrl('/totals.csv', {}, { from: report.from, to: report.to, client: report.client });
  const dates = [...new Set([...report.totals.map((row) => row.businessDate), ...report.breaches.map((breach) => breach.businessDate), ...report.gaps.map((gap) => gap.date)])].sort().reverse();
  const figureOf = new Map(report.totals.map((row) => [`${row.client} ${row.businessDate}`, row]));
  const breachesOf = (client: string, date: string) => report.breaches.filter((breach) => breach.client === client && breach.businessDate === date);
  const gapOf = new Map(report.gaps.map((gap) => [`${gap.client} ${gap.date}`, gap]));
  const useOf = new Map(report.licenseUse.map((use) => [use.businessDate, use]));
  const cell = (client: TotalsReport['clients'][number], date: string) => {
    const figure = figureOf.get(`${client.name} ${date}`);
    const breaches = breachesOf(client.name, date);
    const gap = gapOf.get(`${client.name} ${date}`);
    return html`<td class="num">${figure ? html`<a href="/runs/${figure.runName}">${formatCount(figure.total)}</a> <span class="muted">${formatPercent(figure.total, figure.limit)}</span>` : ''}
${breaches.map((breach) => html`<div class="breach over" data-client="${breach.client}" data-date="${breach.businessDate}">breach <a href="/runs/${breach.runName}">${formatCount(breach.total)}</a> &gt; ${formatCount(breach.limit)}${breach.complete ? '' : ' (partial scope)'}</div>`)}
${!figure && gap ? html`<span class="gap" data-client="${client.name}" data-date="${date}">${GAP_LABELS[gap.state]}</span>` : ''}</td>
<td class="num muted">${figure?.peak ? html`${formatCount(figure.peak.total)} <small>${figure.peak.businessDate}</small>` : ''}</td>`;
  };
  const charts = report.clients.map((client) => {
    const rows = report.totals.filter((row) => row.client === client.name).reverse();
    const breaches = report.breaches.filter((breach) => breach.client === client.name && breach.complete);
    return html`<div class="chart" data-client="${client.name}"><h2>${client.name}</h2>
<p>${client.limit === null ? '' : html`limit ${formatCount(client.limit)}${client.quota === null ? '' : html` (quota ${formatCount(client.quota)} of the shared license)`}`}${client.peak ? html` · 365-day peak <strong id="peak-${client.name}">${formatCount(client.peak.total)}</strong> on ${client.peak.businessDate}` : ''}</p>
${dailyTotalsChart(rows, client.limit ?? Math.max(0, ...rows.map((row) => row.limit)), breaches)}</div>`;
  });
  return html`
<form class="filters" method="get" action="/totals">
  <label>From <input type="date" name="from" value="${report.from}"></label>
  <label>To <input type="date" name="to" value="${report.to}"></label>
  <label>Client <input name="client" value="${report.client ?? ''}" placeholder="all clients"></label>
  <button type="submit">Show</button> <a href="${csv}" id="csv">Download CSV</a>
</form>
${report.license ? html`<p id="license">Shared license: ${formatCount(report.license.limit)} units a day.</p>` : ''}
${charts}
<table id="totals"><thead><tr><th>Business date</th>${report.clients.map((client) => html`<th class="num">${client.name}</th><th class="num">365-day peak</th>`)}${report.licenseUse.length > 0 ? html`<th class="num">Sum / license</th>` : ''}</tr></thead>
<tbody>${dates.map((date) => {
    const use = useOf.get(date);
    return html`<tr data-date="${date}"><td>${date}</td>${report.clients.map((client) => cell(client, date))}${
      report.licenseUse.length > 0 ? html`<td class="num ${use?.over ? 'over' : ''}">${use ? html`${formatCount(use.sum)} / ${formatCount(use.limit)}` : ''}</td>` : ''
    }</tr>`;
  })}</tbody></table>
${report.gaps.length > 0 ? html`<h2>Gaps</h2><table id="gaps"><thead><tr><th>Client</th><th>Business date</th><th>State</th><th>Sources</th></tr></thead><tbody>${report.gaps.map(
    (gap) => html`<tr><td>${gap.client}</td><td>${gap.date}</td><td>${GAP_LABELS[gap.state]}${gap.failingSince ? html` since ${time(new Date(gap.failingSince))}` : ''}${gap.latestRun ? html` (<a href="/runs/${gap.latestRun}">latest run</a>)` : ''}</td><td>${gap.sources.map((source) => `${source.source}: ${source.state}`).join(', ')}</td></tr>`,
  )}</tbody></table>` : ''}`;
}

/** One line per client and date: its figure, or a breach (what the refused run counted), with the client's peak then. */
export function totalsCsv(report: TotalsReport): string {
  const figures = report.totals.map((row) => [row.businessDate, row.client, 'figure', row.total, row.limit, row.peak?.total, row.peak?.businessDate, row.runName]);
  const breaches = report.breaches.map((breach) => [breach.businessDate, breach.client, breach.complete ? 'breach' : 'breach (partial scope)', breach.total, breach.limit, undefined, undefined, breach.runName]);
  const gapRows = report.gaps.map((gap) => [gap.date, gap.client, `gap: ${GAP_LABELS[gap.state]}`, undefined, undefined, undefined, undefined, gap.latestRun]);
  const rows = [...figures, ...breaches, ...gapRows].sort((left, right) => String(right[0]).localeCompare(String(left[0])) || String(left[1]).localeCompare(String(right[1])));
  return toCsv(['business_date', 'client', 'kind', 'total', 'limit', 'peak_365d', 'peak_date', 'run'], rows);
}

export function auditPage(entries: AuditEntry[]): SafeHtml {
  return html`<table id="audit"><thead><tr><th>When</th><th>Who</th><th>Role</th><th>Action</th><th>Target</th><th>Outcome</th><th>From</th></tr></thead>
<tbody>${entries.map(
    (entry) => html`<tr><td>${time(entry.at)}</td><td>${entry.actor}</td><td>${entry.role}</td><td>${entry.action}</td>
<td>${entry.target ? html`<a href="/runs/${entry.target}">${entry.target}</a>` : ''}</td><td>${entry.outcome}</td><td>${entry.address ?? ''}</td></tr>`,
  )}</tbody></table>`;
}

export function loginPage(input: { next: string; error?: string | undefined; csrfToken: string }): SafeHtml {
  return html`
${input.error ? html`<p class="error-box" id="login-error">${input.error}</p>` : ''}
<form method="post" action="/login" id="login">
  <input type="hidden" name="next" value="${input.next}">
  <input type="hidden" name="_csrf" value="${input.csrfToken}">
  <label>User <input name="username" autocomplete="username" required></label>
  <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>`;
}
