import type { Logger } from 'pino';

/** What ops are told about. Delivery channels (webhook, Teams, email) plug in as AlertSinks. */
export type AlertEvent =
  | { kind: 'run-failed'; runName: string; client: string; businessDate: string; reason: string }
  | { kind: 'limit-exceeded'; runName: string; client: string; businessDate: string; total: number; limit: number }
  | { kind: 'near-limit'; runName: string; client: string; businessDate: string; total: number; limit: number; percent: number };

export interface AlertSink {
  /** Must not throw for delivery problems: a failing channel never blocks a run. */
  send(event: AlertEvent): Promise<void>;
}

export function logAlertSink(logger: Logger): AlertSink {
  return {
    send(event) {
      logger.warn({ alert: event }, `alert: ${event.kind} for run ${event.runName}`);
      return Promise.resolve();
    },
  };
}
