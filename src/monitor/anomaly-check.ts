import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { describeAnomaly, findAnomalies, hourLabel, type Anomaly } from '../insight/anomaly.js';
import { hourOfDay } from '../insight/calendar.js';
import type { AlertSink } from '../notify/events.js';
import type { InsightRepository } from '../persistence/insight-repository.js';

/** What the aggregate processor knows about a run it has just stored as successful. */
export interface SucceededRun {
  runId: number;
  runName: string;
  client: string;
  businessDate: string;
  counts: Record<string, number>;
}

export interface AnomalyCheckDeps {
  insight: InsightRepository;
  alerts: AlertSink;
  logger: Logger;
  rules: Config['insight']['anomalies'];
  timezone: string;
  now?: () => Date;
}

/**
 * Judges each successful run against the recent runs of its client at the same hour of day. It is
 * on the aggregate path, so an ordinary run costs one indexed read and writes nothing; only an
 * anomaly is stored (with a warn line on the run) and alerted.
 */
export class RunAnomalyCheck {
  constructor(private readonly deps: AnomalyCheckDeps) {}

  /** Never throws: a failed check is logged and must not fail a run that is already stored. */
  async afterSuccess(run: SucceededRun): Promise<Anomaly[]> {
    const { rules, insight, logger } = this.deps;
    if (!rules.enabled) return [];
    try {
      const at = this.deps.now?.() ?? new Date();
      const hour = hourOfDay(at, this.deps.timezone);
      const history = await insight.sameHourHistory({
        client: run.client,
        businessDate: run.businessDate,
        hour,
        timeZone: this.deps.timezone,
        excludeRunId: run.runId,
        before: at,
        runs: rules.historyRuns,
        lookbackDays: rules.lookbackDays,
      });
      const found = findAnomalies(run.counts, history, { k: rules.k, minHistory: rules.minHistoryRuns, madFloorPercent: rules.madFloorPercent, madFloorCount: rules.madFloorCount });
      if (found.length === 0) return found;
      const label = hourLabel(hour);
      await insight.recordAnomalies(run, found.map((anomaly) => ({ anomaly, message: describeAnomaly(anomaly, label) })));
      logger.warn({ run: run.runName, client: run.client, anomalies: found }, 'unusual counts');
      await this.deps.alerts.send({ kind: 'anomaly', runName: run.runName, client: run.client, businessDate: run.businessDate, hour: label, anomalies: found });
      return found;
    } catch (error) {
      logger.error({ err: error, run: run.runName }, 'anomaly check failed');
      return [];
    }
  }
}
