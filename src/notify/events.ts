import { formatCount, formatDuration, formatPercent } from '../format.js';
import type { Logger } from 'pino';
import { describeAnomaly, type Anomaly } from '../insight/anomaly.js';
import { clockLabel, secondsIntoDay } from '../insight/calendar.js';
import type { Peak } from '../insight/peak.js';
import type { ClientFigure } from '../flow/license.js';

/** What ops are told about. Delivery channels (webhook, Teams, email) plug in as AlertSinks. */
export type AlertEvent =
  | { kind: 'run-failed'; runName: string; client: string; businessDate: string; reason: string }
  /** `quota`: the limit crossed is the client's quota of the shared license. */
  | { kind: 'limit-exceeded'; runName: string; client: string; businessDate: string; total: number; limit: number; quota?: boolean }
  | {
      kind: 'near-limit';
      runName: string;
      client: string;
      businessDate: string;
      total: number;
      limit: number;
      percent: number;
      /** Against the client's highest figure of the 364 days before: task licenses are audited on that peak. */
      peak?: { newPeak: boolean; previous: Peak | null };
    }
  /** The clients' figures of one date add up to more than the shared license; `client`'s run made it so. */
  | { kind: 'license-exceeded'; runName: string; client: string; businessDate: string; sum: number; limit: number; figures: ClientFigure[] }
  /** A reconciled jobs-status count is further from the server's own usage figure than allowed. */
  | { kind: 'drift'; runName: string; client: string; businessDate: string; source: string; own: number; server: number; driftPercent: number; maxDriftPercent: number }
  | { kind: 'stale'; client: string; businessDate: string; lastSuccessAt: string | null; staleForMs: number }
  /** A successful run whose counts are far from the recent history at that hour; `hour` reads `14:00–15:00`. */
  | { kind: 'anomaly'; runName: string; client: string; businessDate: string; hour: string; anomalies: Anomaly[] }
  /** Today's projected final figure is over the limit, while the total so far is not (yet). */
  | {
      kind: 'forecast-breach';
      client: string;
      businessDate: string;
      total: number;
      projected: number;
      limit: number;
      /** ISO instant the limit is expected to be crossed; null when the projection cannot say. */
      crossingAt: string | null;
      timeZone: string;
      /** How the projection was made, in plain words. */
      basis: string;
    };

function peakSentence(total: number, peak: { newPeak: boolean; previous: Peak | null } | undefined): string {
  if (!peak) return '';
  if (!peak.previous) return ' This is the highest figure of the last 365 days: the first one.';
  return peak.newPeak
    ? ` A new 365-day peak, above ${formatCount(peak.previous.total)} on ${peak.previous.businessDate}: task licenses are audited on this peak.`
    : ` The 365-day peak stays ${formatCount(peak.previous.total)} on ${peak.previous.businessDate}${total === peak.previous.total ? ' (equalled)' : ''}.`;
}

export interface AlertSink {
  /** Must not throw for delivery problems: a failing channel never blocks a run. */
  send(event: AlertEvent): Promise<void>;
}

export function logAlertSink(logger: Logger): AlertSink {
  return {
    send(event) {
      logger.warn({ alert: event }, `alert: ${describeAlert(event).title}`);
      return Promise.resolve();
    },
  };
}

/** Channel-neutral wording: a title and one or two lines an on-call person can act on. */
export function describeAlert(event: AlertEvent): { title: string; text: string; severity: 'critical' | 'warning' } {
  switch (event.kind) {
    case 'run-failed':
      return { title: `jobtally: run ${event.runName} failed (${event.client})`, text: event.reason, severity: 'critical' };
    case 'limit-exceeded':
      return {
        title: `jobtally: license limit exceeded for ${event.client} on ${event.businessDate}`,
        text: `Total ${formatCount(event.total)} is over ${event.quota ? `${event.client}'s quota of the shared license` : 'the limit'} ${formatCount(event.limit)} by ${formatCount(event.total - event.limit)} (run ${event.runName}).`,
        severity: 'critical',
      };
    case 'near-limit':
      return {
        title: `jobtally: ${event.client} at ${formatPercent(event.total, event.limit)} of the license limit${event.peak?.newPeak ? ', a new 365-day peak' : ''}`,
        text: `Total ${formatCount(event.total)} of ${formatCount(event.limit)} on ${event.businessDate} (alert threshold ${event.percent}%, run ${event.runName}).${peakSentence(event.total, event.peak)}`,
        severity: 'warning',
      };
    case 'drift':
      return {
        title: `jobtally: ${event.source} differs from Control-M's own usage figure by ${event.driftPercent.toFixed(1)}% (${event.client})`,
        text: `jobtally counted ${formatCount(event.own)}, usage/jobs says ${formatCount(event.server)} on ${event.businessDate} (alert above ${event.maxDriftPercent}%, run ${event.runName}). Check countAs, the query filters and the partitions of this source.`,
        severity: 'warning',
      };
    case 'license-exceeded':
      return {
        title: `jobtally: shared license exceeded on ${event.businessDate} (${event.client}'s run)`,
        text: `The clients' figures add up to ${formatCount(event.sum)}, over the shared license ${formatCount(event.limit)} by ${formatCount(event.sum - event.limit)}: ${event.figures
          .map((figure) => `${figure.client} ${formatCount(figure.total)}`)
          .join(', ')}. ${event.client}'s run ${event.runName} crossed it.`,
        severity: 'critical',
      };
    case 'stale':
      return {
        title: `jobtally: no successful count for ${event.client} in ${formatDuration(event.staleForMs)}`,
        text: event.lastSuccessAt ? `Last success at ${event.lastSuccessAt}. Check the workers and the sources.` : 'No run has succeeded yet. Check the workers and the sources.',
        severity: 'critical',
      };
    case 'anomaly':
      return {
        title: `jobtally: unusual ${event.anomalies.some((anomaly) => anomaly.kind === 'count') ? 'count' : 'ratio'} for ${event.client} (${event.anomalies.map((anomaly) => anomaly.subject).join(', ')})`,
        text: `${event.anomalies.map((anomaly) => describeAnomaly(anomaly, event.hour)).join('\n')}\nRun ${event.runName}, business date ${event.businessDate}.`,
        severity: 'warning',
      };
    case 'forecast-breach': {
      const crossing = event.crossingAt ? ` At the usual pace it goes over around ${clockLabel(secondsIntoDay(new Date(event.crossingAt), event.timeZone))} (${event.timeZone}).` : '';
      return {
        title: `jobtally: ${event.client} is heading over the license limit on ${event.businessDate}`,
        text: `Projected ${formatCount(event.projected)} by the end of the day against the limit ${formatCount(event.limit)}; ${formatCount(event.total)} so far.${crossing} Projection: ${event.basis}.`,
        severity: 'warning',
      };
    }
  }
}
