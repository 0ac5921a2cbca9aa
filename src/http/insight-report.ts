import type { Request } from 'express';
import type { Config } from '../config/load.js';
import { clientNamed } from '../config/clients.js';
import { addDays } from '../insight/calendar.js';
import { billingRows, type BillingRow } from '../insight/billing.js';
import { PEAK_WINDOW_DAYS, type Peak } from '../insight/peak.js';
import { savings, type SavingRow } from '../insight/savings.js';
import { dailyTrends, sourcesOf, topWithChange, type DailyFigure, type KeyedChange, type TrendRow } from '../insight/trends.js';
import { forecastToday, type TodayForecast } from '../monitor/forecast-check.js';
import type { InsightRepository, ListedAnomaly, RunFigure } from '../persistence/insight-repository.js';
import type { RunsRepository } from '../persistence/runs-repository.js';

/** What the insight page and its CSV exports show, per client. */

export const INSIGHT_DAY_CHOICES = [7, 30, 90, 366] as const;
const DEFAULT_DAYS = 30;
const MAX_ANOMALIES = 100;

export interface InsightQuery {
  client: string;
  /** Business dates shown, today included. */
  days: number;
}

/** Client and range from the URL; anything unusable falls back to the defaults. */
export function parseInsightQuery(query: Request['query'], knownClients: readonly string[], defaultClient: string): InsightQuery {
  const asked = typeof query.client === 'string' ? query.client.trim() : '';
  const client = asked !== '' && asked.length <= 200 ? asked : knownClients.includes(defaultClient) || knownClients.length === 0 ? defaultClient : (knownClients[0] as string);
  const days = Number(typeof query.days === 'string' ? query.days : Number.NaN);
  return { client, days: Number.isInteger(days) && days >= 1 && days <= 366 ? days : DEFAULT_DAYS };
}

export interface BreakdownSections {
  /** The latest successful run, whose breakdowns are shown. */
  run: RunFigure | undefined;
  /** The latest successful run of the business date before it, for day-over-day changes. */
  previous: RunFigure | undefined;
  savings: SavingRow[];
  applications: KeyedChange[];
  /** False when the run's sources report no status breakdown (only Control-M jobs-status does). */
  hasStatuses: boolean;
  /** The run's Control-M jobs-status sources under both billing definitions. */
  billing: BillingRow[];
}

export interface Trends {
  from: string;
  to: string;
  /** Figures from a week before `from`, so the first dates shown have their comparisons. */
  figures: DailyFigure[];
  rows: TrendRow[];
  sources: string[];
}

/** Each client's share of the shared license per date (figures over the license limit). */
export interface LicenseShares {
  limit: number;
  clients: string[];
  rows: { date: string; byClient: Record<string, number>; sum: number }[];
}

export interface InsightReport {
  query: InsightQuery;
  clients: string[];
  timezone: string;
  summary: TodayForecast;
  /** The client's highest figure of the 365 days ending today: task licenses are audited on it. */
  peak: Peak | undefined;
  /** Under a shared license: every client's share of it over the range. */
  shares: LicenseShares | undefined;
  breakdowns: BreakdownSections;
  trends: Trends;
  anomalies: ListedAnomaly[];
}

export interface InsightReportDeps {
  insight: InsightRepository;
  runs: RunsRepository;
  config: Pick<Config, 'limit' | 'timezone' | 'newDayTime' | 'insight' | 'clients' | 'clientsDeclared' | 'license'>;
}

/** Loads each section with its own few indexed reads, so a CSV export reads only its section. */
export class InsightReports {
  constructor(private readonly deps: InsightReportDeps) {}

  clients(): Promise<string[]> {
    return this.deps.runs.clientsWithRuns();
  }

  summary(client: string, now: Date): Promise<TodayForecast> {
    const { timezone, newDayTime, insight } = this.deps.config;
    const limit = clientNamed(this.deps.config, client)?.limit ?? this.deps.config.limit;
    return forecastToday(this.deps.insight, client, { limit, timezone, newDayTime, forecast: insight.forecast }, now);
  }

  async breakdownSections(client: string): Promise<BreakdownSections> {
    const run = await this.deps.insight.latestRun(client);
    if (!run) return { run, previous: undefined, savings: [], applications: [], hasStatuses: false, billing: [] };
    const [previous, detail] = await Promise.all([this.deps.insight.latestRun(client, addDays(run.businessDate, -1)), this.deps.runs.getDetail(run.runName)]);
    const entries = await this.deps.insight.breakdowns(previous ? [run.runId, previous.runId] : [run.runId], ['status', 'application']);
    const ofRun = (runId: number, dimension: 'status' | 'application') => entries.filter((entry) => entry.runId === runId && entry.dimension === dimension);
    const byApplication = (runId: number) => {
      const sums = new Map<string, number>();
      for (const entry of ofRun(runId, 'application')) sums.set(entry.key, (sums.get(entry.key) ?? 0) + entry.count);
      return sums;
    };
    const statuses = ofRun(run.runId, 'status');
    return {
      run,
      previous,
      savings: savings(statuses.map((entry) => ({ source: entry.source, status: entry.key, count: entry.count })), run.total),
      applications: topWithChange(byApplication(run.runId), previous ? byApplication(previous.runId) : undefined, this.deps.config.insight.topApplications),
      hasStatuses: statuses.length > 0,
      billing: billingRows(detail?.metrics ?? []),
    };
  }

  async trends(client: string, today: string, days: number): Promise<Trends> {
    const from = addDays(today, -(days - 1));
    const figures = await this.deps.insight.dailyFigures(client, addDays(from, -7), today);
    return { from, to: today, figures, rows: dailyTrends(figures, from), sources: sourcesOf(figures.filter((figure) => figure.date >= from)) };
  }

  /** The highest figure of the 365 days ending today. */
  peak(client: string, today: string): Promise<Peak | undefined> {
    return this.deps.insight.peakIn(client, addDays(today, -(PEAK_WINDOW_DAYS - 1)), today);
  }

  async shares(from: string, to: string): Promise<LicenseShares | undefined> {
    const { license } = this.deps.config;
    if (!license) return undefined;
    const figures = await this.deps.runs.dailyTotals({ since: from, until: to }, 366);
    const byDate = new Map<string, Record<string, number>>();
    for (const figure of figures) byDate.set(figure.businessDate, { ...byDate.get(figure.businessDate), [figure.client]: figure.total });
    const rows = [...byDate].sort(([left], [right]) => left.localeCompare(right)).map(([date, byClient]) => ({ date, byClient, sum: Object.values(byClient).reduce((sum, total) => sum + total, 0) }));
    return { limit: license.limit, clients: [...new Set(figures.map((figure) => figure.client))].sort(), rows };
  }

  anomalies(client: string, from: string, to: string): Promise<ListedAnomaly[]> {
    return this.deps.insight.anomalies(client, from, to, MAX_ANOMALIES);
  }

  async report(query: InsightQuery, clients: string[], now: Date): Promise<InsightReport> {
    const summary = await this.summary(query.client, now);
    const today = summary.businessDate;
    const from = addDays(today, -(query.days - 1));
    const [breakdowns, trends, anomalies, peak, shares] = await Promise.all([
      this.breakdownSections(query.client),
      this.trends(query.client, today, query.days),
      this.anomalies(query.client, from, today),
      this.peak(query.client, today),
      this.shares(from, today),
    ]);
    return { query, clients, timezone: this.deps.config.timezone, summary, peak, shares, breakdowns, trends, anomalies };
  }
}
