import { formatCount } from '../format.js';
import type { DailyTotal } from '../persistence/runs-repository.js';
import { html, type SafeHtml } from './html.js';

const WIDTH = 900;
const HEIGHT = 260;
const PAD = { left: 60, right: 10, top: 10, bottom: 30 };

/** Daily totals as bars against the limit line; server-rendered SVG, no script, no CDN. */
export function dailyTotalsChart(rows: readonly DailyTotal[], limit: number): SafeHtml {
  if (rows.length === 0) return html`<p>No successful runs in this range.</p>`;
  const top = Math.max(limit, ...rows.map((row) => row.total)) * 1.1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / rows.length;
  const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;
  const bars = rows.map((row, index) => {
    const barWidth = Math.max(1, Math.min(slot * 0.8, 40));
    const x = PAD.left + index * slot + (slot - barWidth) / 2;
    const barTop = y(row.total);
    return html`<rect x="${x.toFixed(1)}" y="${barTop.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(PAD.top + plotHeight - barTop).toFixed(1)}" fill="${row.total > row.limit ? '#b3261e' : '#3a6ff7'}"><title>${row.businessDate}: ${formatCount(row.total)}</title></rect>`;
  });
  const limitY = y(limit).toFixed(1);
  const first = rows[0]?.businessDate ?? '';
  const last = rows.at(-1)?.businessDate ?? '';
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Daily totals against the limit" id="totals-chart">
<line x1="${PAD.left}" y1="${PAD.top + plotHeight}" x2="${WIDTH - PAD.right}" y2="${PAD.top + plotHeight}" stroke="#999"/>
${bars}
<line x1="${PAD.left}" y1="${limitY}" x2="${WIDTH - PAD.right}" y2="${limitY}" stroke="#b3261e" stroke-dasharray="6 4" id="limit-line"/>
<text x="${PAD.left - 6}" y="${limitY}" text-anchor="end" font-size="11" fill="#b3261e">${formatCount(limit)}</text>
<text x="${PAD.left}" y="${HEIGHT - 8}" font-size="11">${first}</text>
<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" font-size="11" text-anchor="end">${last}</text>
</svg>`;
}

const SERIES_COLORS = ['#3a6ff7', '#0a8a6a', '#c77700', '#8a3ffc', '#d12771', '#007d79', '#6f6f6f'];
const TOTAL_COLOR = '#1d2330';

export interface TrendSeries {
  name: string;
  /** One value per date of the range, undefined where that date has no figure. */
  values: (number | undefined)[];
}

/** A polyline path that breaks at missing dates rather than drawing through them. */
function linePath(values: readonly (number | undefined)[], x: (index: number) => number, y: (value: number) => number): string {
  let path = '';
  let drawing = false;
  values.forEach((value, index) => {
    if (value === undefined) {
      drawing = false;
      return;
    }
    path += `${drawing ? 'L' : 'M'}${x(index).toFixed(1)} ${y(value).toFixed(1)} `;
    drawing = true;
  });
  return path.trim();
}

/**
 * Daily figures of the total and of each source as lines over the date range, against the limit;
 * each point carries its date and value as a tooltip. Server-rendered SVG, no script.
 */
export function sourceTrendsChart(dates: readonly string[], series: readonly TrendSeries[], limit: number): SafeHtml {
  const values = series.flatMap((line) => line.values.filter((value): value is number => value !== undefined));
  if (dates.length === 0 || values.length === 0) return html`<p>No successful runs in this range.</p>`;
  const top = Math.max(limit, ...values) * 1.1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (index: number) => PAD.left + (dates.length === 1 ? plotWidth / 2 : (index / (dates.length - 1)) * plotWidth);
  const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;
  const colorOf = (index: number, name: string) => (name === 'total' ? TOTAL_COLOR : (SERIES_COLORS[index % SERIES_COLORS.length] as string));
  const lines = series.map((line, index) => {
    const color = colorOf(index, line.name);
    const points = line.values.map((value, at) =>
      value === undefined ? '' : html`<circle cx="${x(at).toFixed(1)}" cy="${y(value).toFixed(1)}" r="2.5" fill="${color}"><title>${line.name} ${dates[at] ?? ''}: ${formatCount(value)}</title></circle>`,
    );
    return html`<g class="series" data-series="${line.name}"><path d="${linePath(line.values, x, y)}" fill="none" stroke="${color}" stroke-width="${line.name === 'total' ? 2.5 : 1.8}"/>${points}</g>`;
  });
  const legend = series.map((line, index) => html`<span class="legend-item"><svg class="swatch" width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${colorOf(index, line.name)}"/></svg>${line.name}</span>`);
  const limitY = y(limit).toFixed(1);
  const axisY = PAD.top + plotHeight;
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Daily figures of the total and of each source" id="trend-chart">
<line x1="${PAD.left}" y1="${axisY}" x2="${WIDTH - PAD.right}" y2="${axisY}" stroke="#999"/>
<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${axisY}" stroke="#999"/>
<text x="${PAD.left - 6}" y="${axisY}" text-anchor="end" font-size="11">0</text>
<line x1="${PAD.left}" y1="${limitY}" x2="${WIDTH - PAD.right}" y2="${limitY}" stroke="#b3261e" stroke-dasharray="6 4" id="trend-limit-line"/>
<text x="${PAD.left - 6}" y="${limitY}" text-anchor="end" font-size="11" fill="#b3261e">${formatCount(limit)}</text>
${lines}
<text x="${PAD.left}" y="${HEIGHT - 8}" font-size="11">${dates[0] ?? ''}</text>
<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" font-size="11" text-anchor="end">${dates.at(-1) ?? ''}</text>
</svg>
<p class="legend">${legend}</p>`;
}
