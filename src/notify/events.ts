import { formatCount, formatDuration, formatPercent } from '../format.js';
import type { Logger } from 'pino';

/** What ops are told about. Delivery channels (webhook, Teams, email) plug in as AlertSinks. */
export type AlertEvent =
  | { kind: 'run-failed'; runName: string; client: string; businessDate: string; reason: string }
  | { kind: 'limit-exceeded'; runName: string; client: string; businessDate: string; total: number; limit: number }
  | { kind: 'near-limit'; runName: string; client: string; businessDate: string; total: number; limit: number; percent: number }
  | { kind: 'stale'; client: string; businessDate: string; lastSuccessAt: string | null; staleForMs: number };

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
        text: `Total ${formatCount(event.total)} is over the limit ${formatCount(event.limit)} by ${formatCount(event.total - event.limit)} (run ${event.runName}).`,
        severity: 'critical',
      };
    case 'near-limit':
      return {
        title: `jobtally: ${event.client} at ${formatPercent(event.total, event.limit)} of the license limit`,
        text: `Total ${formatCount(event.total)} of ${formatCount(event.limit)} on ${event.businessDate} (alert threshold ${event.percent}%, run ${event.runName}).`,
        severity: 'warning',
      };
    case 'stale':
      return {
        title: `jobtally: no successful count for ${event.client} in ${formatDuration(event.staleForMs)}`,
        text: event.lastSuccessAt ? `Last success at ${event.lastSuccessAt}. Check the workers and the sources.` : 'No run has succeeded yet. Check the workers and the sources.',
        severity: 'critical',
      };
  }
}
