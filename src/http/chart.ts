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
