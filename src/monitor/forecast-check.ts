import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { addDays, newDaySeconds, zonedInstant } from '../insight/calendar.js';
import { forecastDay, type Forecast } from '../insight/forecast.js';
import { startPeriodic } from '../lifecycle/periodic.js';
import type { AlertSink } from '../notify/events.js';
import type { InsightRepository } from '../persistence/insight-repository.js';
import type { RunsRepository } from '../persistence/runs-repository.js';
import { businessDateOf } from '../runs/names.js';

export interface TodayForecast {
  businessDate: string;
  forecast: Forecast;
  /** Wall-clock seconds since midnight of the latest successful count (past 86,400 after midnight when New Day is later); null when none yet. */
  countedAtSecond: number | null;
  /** When the total is expected to go over the limit; null when it is not expected to. */
  crossingAt: Date | null;
  limit: number;
}

export interface ForecastSettings {
  limit: number;
  timezone: string;
  /** The business day runs from New Day to New Day: curves and crossings count from it. */
  newDayTime: string;
  forecast: Config['insight']['forecast'];
}

/** Today's projection for one client: one range read of recent days' totals, then pure math. */
export async function forecastToday(insight: InsightRepository, client: string, settings: ForecastSettings, now: Date): Promise<TodayForecast> {
  const today = businessDateOf(now, settings.timezone, settings.newDayTime);
  const dayStart = newDaySeconds(settings.newDayTime);
  const curves = await insight.dayCurves(client, addDays(today, -settings.forecast.historyDays), today, settings.timezone, settings.newDayTime);
  const todayCurve = curves.find((curve) => curve.date === today);
  const latest = todayCurve?.points.at(-1);
  const forecast = forecastDay({
    latest,
    history: curves.filter((curve) => curve.date !== today),
    limit: settings.limit,
    minFraction: settings.forecast.minFraction,
    minLinearSeconds: settings.forecast.minLinearMs / 1000,
  });
  const crossingAt = forecast.crossingSecond === null ? null : zonedInstant(today, dayStart + forecast.crossingSecond, settings.timezone);
  return { businessDate: today, forecast, countedAtSecond: latest === undefined ? null : dayStart + latest.secondOfDay, crossingAt, limit: settings.limit };
}

export interface ForecastCheckDeps {
  runs: RunsRepository;
  insight: InsightRepository;
  alerts: AlertSink;
  logger: Logger;
  settings: ForecastSettings;
  now?: () => Date;
}

/**
 * Alerts for each client whose projected final figure today is over the limit while its total is
 * not: the alert arrives before the breach. The alert queue sends it once per client and date.
 */
export async function checkForecasts(deps: ForecastCheckDeps): Promise<string[]> {
  const now = deps.now?.() ?? new Date();
  const heading: string[] = [];
  for (const client of await deps.runs.clientsWithRuns()) {
    const { businessDate, forecast, crossingAt, limit } = await forecastToday(deps.insight, client, deps.settings, now);
    if (forecast.projected === null || forecast.projected <= limit || forecast.total > limit) continue;
    heading.push(client);
    deps.logger.warn({ client, businessDate, total: forecast.total, projected: forecast.projected, limit, crossingAt }, 'projected over the limit');
    await deps.alerts.send({
      kind: 'forecast-breach',
      client,
      businessDate,
      total: forecast.total,
      projected: forecast.projected,
      limit,
      crossingAt: crossingAt?.toISOString() ?? null,
      timeZone: deps.settings.timezone,
      basis: forecast.basis,
    });
  }
  return heading;
}

export function startForecastCheck(deps: ForecastCheckDeps): { stop(): void } {
  return startPeriodic(() => checkForecasts(deps), deps.settings.forecast.checkEveryMs, deps.logger, 'forecast check');
}
