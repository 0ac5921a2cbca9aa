import { formatCount, formatPercent } from '../format.js';
import { addDays, clockLabel, daysBetween, secondsIntoDay, weekdayName } from '../insight/calendar.js';
import { SAVING_GROUPS } from '../insight/savings.js';
import { TOTAL_SUBJECT, type Change, type TrendRow } from '../insight/trends.js';
import type { TodayForecast } from '../monitor/forecast-check.js';
import type { ListedAnomaly } from '../persistence/insight-repository.js';
import { businessDateOf } from '../runs/names.js';
import type { BusinessClock } from '../sources/business-dates.js';
import { sourceTrendsChart } from './chart.js';
import { toCsv, type CsvCell } from './csv.js';
import { html, type SafeHtml } from './html.js';
import { INSIGHT_DAY_CHOICES, type BreakdownSections, type InsightQuery, type InsightReport, type InsightReports, type Trends, type LicenseShares } from './insight-report.js';
import { time } from './pages.js';

/** The tables of the insight page; each has a CSV export at `/insight/<table>.csv`. */
export const INSIGHT_TABLES = ['summary', 'savings', 'applications', 'trends', 'anomalies'] as const;
export type InsightTable = (typeof INSIGHT_TABLES)[number];

function csvUrl(table: InsightTable, query: InsightQuery): string {
  return `/insight/${table}.csv?${new URLSearchParams({ client: query.client, days: String(query.days) }).toString()}`;
}

function csvLink(table: InsightTable, query: InsightQuery): SafeHtml {
  return html`<a class="csv" id="csv-${table}" href="${csvUrl(table, query)}" download>Download CSV</a>`;
}

function signed(value: number): string {
  return value > 0 ? `+${formatCount(value)}` : formatCount(value);
}

function percentText(percent: number | null): string {
  if (percent === null) return 'new';
  return `${percent > 0 ? '+' : ''}${percent.toFixed(1)}%`;
}

function changeCell(change: Change | null): SafeHtml {
  if (!change) return html`<td class="num muted">–</td>`;
  const direction = change.absolute > 0 ? 'up' : change.absolute < 0 ? 'down' : '';
  return html`<td class="num ${direction}">${signed(change.absolute)} <small>(${percentText(change.percent)})</small></td>`;
}

function share(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
}

export function localClock(at: Date, timeZone: string): string {
  return clockLabel(secondsIntoDay(at, timeZone));
}

function summarySection(summary: TodayForecast, report: InsightReport): SafeHtml {
  const { forecast, limit, crossingAt, businessDate } = summary;
  const over = forecast.projected !== null && forecast.projected > limit;
  const card = (id: string, label: string, value: SafeHtml | string, note: SafeHtml | string = '') =>
    html`<div class="card" id="${id}"><span class="label">${label}</span><strong>${value}</strong><span class="note">${note}</span></div>`;
  return html`<section id="today">
<div class="section-head"><h2>Today, ${businessDate} <small>(${report.timezone})</small></h2>${csvLink('summary', report.query)}</div>
<div class="cards">
  ${card('card-total', 'Total so far', forecast.method === 'none' && forecast.total === 0 ? '–' : formatCount(forecast.total), summary.countedAtSecond === null ? 'no successful count today yet' : `as of ${clockLabel(summary.countedAtSecond)}, ${((forecast.total / limit) * 100).toFixed(1)}% of the limit`)}
  ${card('card-projection', 'Projected end of day', forecast.projected === null ? '–' : html`<span class="${over ? 'over' : ''}">${formatCount(forecast.projected)}</span>`, forecast.projected === null ? forecast.basis : `${((forecast.projected / limit) * 100).toFixed(1)}% of the limit`)}
  ${card('card-limit', 'License limit', formatCount(limit))}
  ${card('card-peak', '365-day peak', report.peak ? formatCount(report.peak.total) : '–', report.peak ? `on ${report.peak.businessDate}: task licenses are audited on it` : 'no figure in the last 365 days')}
  ${card('card-crossing', 'Limit crossed around', crossingAt ? html`<span class="over">${localClock(crossingAt, report.timezone)}</span>` : '–', crossingAt ? 'if today keeps the usual pace' : over ? '' : 'not expected today')}
</div>
${forecast.projected === null ? '' : html`<p class="basis" id="projection-basis">Projection (${forecast.method}): ${forecast.basis}.</p>`}
</section>`;
}

function savingsSection(sections: BreakdownSections, query: InsightQuery): SafeHtml {
  const { run } = sections;
  const body = !run
    ? html`<p class="empty">No successful run yet.</p>`
    : !sections.hasStatuses
      ? html`<p class="empty">The latest run's sources report no status breakdown (Control-M sources in <code>jobs-status</code> mode do).</p>`
      : html`<table id="savings-table"><thead><tr><th>What</th><th>Source</th><th class="num">Job executions</th><th class="num">Share of the total</th></tr></thead>
<tbody>${sections.savings.map(
          (row) =>
            html`<tr class="${row.source === undefined ? 'group-total' : ''}"><td>${row.source === undefined ? SAVING_GROUPS[row.group].label : ''}</td><td>${row.source ?? 'all sources'}</td><td class="num">${formatCount(row.count)}</td><td class="num">${share(row.share)}</td></tr>`,
        )}</tbody></table>`;
  return html`<section id="savings">
<div class="section-head"><h2>Units that could be saved</h2>${csvLink('savings', query)}</div>
${run ? html`<p class="context">From the latest successful run <a href="/runs/${run.runName}">${run.runName}</a> (business date ${run.businessDate}, total ${formatCount(run.total)}): failed executions and jobs ordered but not running count against the license too.</p>` : ''}
${body}
</section>`;
}

/** Shown only when a Control-M jobs-status source stored both definitions' figures. */
function billingSection(sections: BreakdownSections): SafeHtml | string {
  if (sections.billing.length === 0) return '';
  const count = (value: number | undefined) => (value === undefined ? '–' : formatCount(value));
  return html`<section id="billing">
<div class="section-head"><h2>What the license counts</h2></div>
<p class="context">Ordered: one unit per job ordered for the day (on-premises task licenses). Executions: every run of a job, without dummy and SLA jobs (BMC's SaaS usage report). Jobs that never ran and dummy jobs cost units only when ordered jobs are billed.</p>
<table id="billing-table"><thead><tr><th>Source</th><th class="num">Billed</th><th class="num">Ordered</th><th class="num">Executions</th><th class="num">Never ran</th><th class="num">Dummy</th><th class="num">Carried over</th><th class="num">Server usage figure</th><th class="num">Drift</th></tr></thead>
<tbody>${sections.billing.map(
    (row) =>
      html`<tr><td>${row.source}</td><td class="num">${formatCount(row.billed)}</td><td class="num">${formatCount(row.ordered)}</td><td class="num">${formatCount(row.executions)}</td><td class="num">${formatCount(row.neverRan)}</td><td class="num">${formatCount(row.dummy)}</td><td class="num">${formatCount(row.carriedOver)}</td><td class="num">${count(row.serverUsage)}</td><td class="num">${count(row.drift)}</td></tr>`,
  )}</tbody></table>
</section>`;
}

function applicationsSection(sections: BreakdownSections, query: InsightQuery): SafeHtml {
  const { run, previous } = sections;
  const body =
    sections.applications.length === 0
      ? html`<p class="empty">${run ? "The latest run's sources report no applications (Control-M sources in jobs-status mode do)." : 'No successful run yet.'}</p>`
      : html`<table id="applications-table"><thead><tr><th>Application</th><th class="num">${run?.businessDate ?? ''}</th><th class="num">${previous?.businessDate ?? 'day before'}</th><th class="num">Change</th></tr></thead>
<tbody>${sections.applications.map(
          (row) => html`<tr><td>${row.key}</td><td class="num">${formatCount(row.current)}</td><td class="num">${row.previous === undefined ? '–' : formatCount(row.previous)}</td>${changeCell(row.change)}</tr>`,
        )}</tbody></table>`;
  return html`<section id="applications">
<div class="section-head"><h2>Top applications by job executions</h2>${csvLink('applications', query)}</div>
${body}
</section>`;
}

/** One row per date, one column group (figure, against the day before, against last week) per subject. */
function trendsSection(trends: Trends, limit: number, query: InsightQuery): SafeHtml {
  const subjects = [TOTAL_SUBJECT, ...trends.sources];
  const dates = Array.from({ length: daysBetween(trends.from, trends.to) + 1 }, (_, index) => addDays(trends.from, index));
  const byDate = new Map(trends.figures.map((figure) => [figure.date, figure]));
  const series = subjects.map((subject) => ({
    name: subject,
    values: dates.map((date) => {
      const figure = byDate.get(date);
      return subject === TOTAL_SUBJECT ? figure?.total : figure?.counts[subject];
    }),
  }));
  const rowsByDate = new Map<string, Map<string, TrendRow>>();
  for (const row of trends.rows) {
    const bySubject = rowsByDate.get(row.date) ?? new Map<string, TrendRow>();
    bySubject.set(row.subject, row);
    rowsByDate.set(row.date, bySubject);
  }
  const table =
    rowsByDate.size === 0
      ? html`<p class="empty">No successful runs in this range.</p>`
      : html`<div class="scroll"><table id="trends-table">
<thead><tr><th rowspan="2">Business date</th>${subjects.map((subject) => html`<th colspan="3" class="group">${subject}</th>`)}</tr>
<tr>${subjects.map(() => html`<th class="num">Figure</th><th class="num">vs day before</th><th class="num">vs last week</th>`)}</tr></thead>
<tbody>${[...rowsByDate].map(
          ([date, bySubject]) =>
            html`<tr><td>${date} <small class="muted">${weekdayName(date).slice(0, 3)}</small></td>${subjects.map((subject) => {
              const row = bySubject.get(subject);
              return row ? html`<td class="num">${formatCount(row.value)}</td>${changeCell(row.dayChange)}${changeCell(row.weekChange)}` : html`<td class="num muted">–</td><td></td><td></td>`;
            })}</tr>`,
        )}</tbody></table></div>`;
  return html`<section id="trends">
<div class="section-head"><h2>Daily figures by source</h2>${csvLink('trends', query)}</div>
<p class="context">Each business date's figure is its latest successful run; changes are against the day before and the same weekday a week earlier.</p>
<div class="chart">${sourceTrendsChart(dates, series, limit, { lastIsPartial: true })}</div>
${table}
</section>`;
}

function anomaliesSection(anomalies: readonly ListedAnomaly[], query: InsightQuery): SafeHtml {
  const body =
    anomalies.length === 0
      ? html`<p class="empty">No anomalies in this range.</p>`
      : html`<table id="anomalies-table"><thead><tr><th>Found</th><th>Run</th><th>Subject</th><th>Explanation</th></tr></thead>
<tbody>${anomalies.map(
          (row) => html`<tr><td class="nowrap">${time(row.createdAt)}</td><td><a href="/runs/${row.runName}">${row.runName}</a></td><td>${row.subject}</td><td>${row.message}</td></tr>`,
        )}</tbody></table>`;
  return html`<section id="anomalies">
<div class="section-head"><h2>Anomalies</h2>${csvLink('anomalies', query)}</div>
${body}
</section>`;
}

/** Each client's share of the shared license, date by date (newest first). */
function sharesSection(shares: LicenseShares): SafeHtml {
  return html`<section id="license-shares">
<div class="section-head"><h2>Share of the shared license <small>(${formatCount(shares.limit)} units a day)</small></h2></div>
<table><thead><tr><th>Business date</th>${shares.clients.map((client) => html`<th class="num">${client}</th>`)}<th class="num">All clients</th></tr></thead>
<tbody>${[...shares.rows].reverse().map(
    (row) => html`<tr><td>${row.date}</td>${shares.clients.map((client) => {
      const total = row.byClient[client];
      return html`<td class="num">${total === undefined ? '–' : html`${formatPercent(total, shares.limit)} <small class="muted">${formatCount(total)}</small>`}</td>`;
    })}<td class="num ${row.sum > shares.limit ? 'over' : ''}">${formatPercent(row.sum, shares.limit)}</td></tr>`,
  )}</tbody></table>
</section>`;
}

export function insightPage(report: InsightReport): SafeHtml {
  const { query, clients } = report;
  const clientChoices = clients.includes(query.client) ? clients : [...clients, query.client];
  const empty = !report.breakdowns.run;
  return html`
<form class="filters" method="get" action="/insight">
  <label>Client <select name="client">${clientChoices.map((client) => html`<option value="${client}"${client === query.client ? ' selected' : ''}>${client}</option>`)}</select></label>
  <label>Days <select name="days">${[...new Set([...INSIGHT_DAY_CHOICES, query.days])].sort((left, right) => left - right).map((days) => html`<option value="${days}"${days === query.days ? ' selected' : ''}>${days}</option>`)}</select></label>
  <button type="submit">Show</button>
</form>
${
  empty
    ? html`<p class="empty-state" id="empty">No successful runs for client <strong>${query.client}</strong> yet. Trends, projections and anomalies appear here once runs have succeeded.</p>`
    : html`${summarySection(report.summary, report)}
${savingsSection(report.breakdowns, query)}
${billingSection(report.breakdowns)}
${applicationsSection(report.breakdowns, query)}
${trendsSection(report.trends, report.summary.limit, query)}
${report.shares ? sharesSection(report.shares) : ''}
${anomaliesSection(report.anomalies, query)}`
}`;
}

export function summaryCsv(summary: TodayForecast, client: string, timeZone: string): string {
  const { forecast } = summary;
  return toCsv(
    ['client', 'business_date', 'total', 'counted_at_local', 'projected', 'limit', 'method', 'crossing_at', 'crossing_at_local', 'time_zone', 'basis'],
    [
      [
        client,
        summary.businessDate,
        forecast.total,
        summary.countedAtSecond === null ? null : clockLabel(summary.countedAtSecond),
        forecast.projected,
        summary.limit,
        forecast.method,
        summary.crossingAt?.toISOString(),
        summary.crossingAt ? localClock(summary.crossingAt, timeZone) : null,
        timeZone,
        forecast.basis,
      ],
    ],
  );
}

export function savingsCsv(sections: BreakdownSections): string {
  const { run } = sections;
  return toCsv(
    ['run', 'business_date', 'run_total', 'group', 'source', 'count', 'share'],
    sections.savings.map((row) => [run?.runName, run?.businessDate, run?.total, row.group, row.source ?? 'all', row.count, row.share]),
  );
}

export function applicationsCsv(sections: BreakdownSections): string {
  const { run, previous } = sections;
  return toCsv(
    ['application', 'business_date', 'count', 'previous_business_date', 'previous_count', 'change', 'change_percent'],
    sections.applications.map((row) => [row.key, run?.businessDate, row.current, previous?.businessDate, row.previous, row.change?.absolute, row.change?.percent]),
  );
}

export function trendsCsv(trends: Trends): string {
  return toCsv(
    ['business_date', 'subject', 'figure', 'change_vs_day_before', 'change_vs_day_before_percent', 'change_vs_last_week', 'change_vs_last_week_percent'],
    trends.rows.map((row): CsvCell[] => [row.date, row.subject, row.value, row.dayChange?.absolute, row.dayChange?.percent, row.weekChange?.absolute, row.weekChange?.percent]),
  );
}

export function anomaliesCsv(anomalies: readonly ListedAnomaly[]): string {
  return toCsv(
    ['found_at', 'business_date', 'run', 'kind', 'subject', 'value', 'median', 'expected_low', 'expected_high', 'history_runs', 'explanation'],
    anomalies.map((row) => [
      row.createdAt.toISOString(),
      row.businessDate,
      row.runName,
      row.kind,
      row.subject,
      row.value,
      row.median,
      row.low,
      row.high,
      row.history,
      row.message,
    ]),
  );
}

/** One table of the page as CSV, reading only what that table needs. */
export async function insightTableCsv(reports: InsightReports, table: InsightTable, query: InsightQuery, now: Date, clock: BusinessClock): Promise<string> {
  const today = businessDateOf(now, clock.timezone, clock.newDayTime);
  switch (table) {
    case 'summary':
      return summaryCsv(await reports.summary(query.client, now), query.client, clock.timezone);
    case 'savings':
      return savingsCsv(await reports.breakdownSections(query.client));
    case 'applications':
      return applicationsCsv(await reports.breakdownSections(query.client));
    case 'trends':
      return trendsCsv(await reports.trends(query.client, today, query.days));
    case 'anomalies':
      return anomaliesCsv(await reports.anomalies(query.client, addDays(today, -(query.days - 1)), today));
  }
}

/** `jobtally-trends-acme-2026-01-15.csv`: only characters safe in any file system and header. */
export function insightCsvFileName(table: InsightTable, client: string, now: Date, clock: BusinessClock): string {
  return `jobtally-${table}-${client.replace(/[^A-Za-z0-9_.-]/g, '_')}-${businessDateOf(now, clock.timezone, clock.newDayTime)}.csv`;
}
