import { clientNamed } from '../config/clients.js';
import type { Config } from '../config/load.js';
import { InputError } from '../errors.js';
import { licenseUse } from '../flow/license.js';
import { addDays, daysBetween } from '../insight/calendar.js';
import { completeness, gaps, MAX_COMPLETENESS_DAYS, type DateCompleteness } from '../insight/completeness.js';
import { PEAK_WINDOW_DAYS, rollingPeaks, type Peak } from '../insight/peak.js';
import type { Breach, DailyTotal, RunsRepository } from '../persistence/runs-repository.js';

/**
 * What /totals, /totals.csv and /api/totals show: each client's figures side by side (never one
 * client's figure standing for another's), each next to its client's rolling 365-day peak, the
 * breaches (runs refused over their limit, with what they counted), the gaps (dates without a
 * figure) and, under a shared license, the clients' sum of each date against it.
 */
export interface TotalsReport {
  from: string;
  to: string;
  /** The one client asked for, or undefined for all of them. */
  client: string | undefined;
  clients: { name: string; limit: number | null; quota: number | null; sources: string[]; peak: Peak | null }[];
  license: { limit: number } | null;
  /** Newest date first, then client. */
  totals: (DailyTotal & { peak: Peak | null })[];
  breaches: Breach[];
  gaps: (DateCompleteness & { client: string })[];
  /** Per date with figures, when a license is shared. */
  licenseUse: { businessDate: string; sum: number; limit: number; over: boolean }[];
}

export interface TotalsQuery {
  from: string;
  to: string;
  client: string | undefined;
}

export async function totalsReport(deps: { runs: RunsRepository; config: Pick<Config, 'clients' | 'clientsDeclared' | 'license' | 'limit'> }, query: TotalsQuery): Promise<TotalsReport> {
  const { runs, config } = deps;
  if (query.from > query.to) throw new InputError('from is after to', [{ path: 'from', message: `${query.from} is after ${query.to}` }]);
  const names = query.client !== undefined ? [query.client] : await clientNames(deps);
  const history = await runs.dailyTotals({ client: query.client, since: addDays(query.from, -(PEAK_WINDOW_DAYS - 1)), until: query.to }, daysBetween(query.from, query.to) + PEAK_WINDOW_DAYS);
  const dates = datesOf(query.from, query.to);
  const peaksOf = new Map(names.map((name) => [name, rollingPeaks(history.filter((row) => row.client === name).map((row) => ({ date: row.businessDate, total: row.total })), [...dates, query.to])]));
  const totals = history.filter((row) => row.businessDate >= query.from).map((row) => ({ ...row, peak: peaksOf.get(row.client)?.get(row.businessDate) ?? null }));
  const breaches = await runs.breaches(names, query.from, query.to);
  const gapRows = (
    await Promise.all(
      names.map(async (name) => {
        const client = clientNamed(config, name);
        const groups = await runs.runGroups(name, lastDays(query.from, query.to), query.to);
        return gaps(completeness(groups, client?.sources ?? [], lastDays(query.from, query.to), query.to)).map((gap) => ({ ...gap, client: name }));
      }),
    )
  ).flat();
  return {
    ...query,
    clients: names.map((name) => {
      const client = clientNamed(config, name);
      return { name, limit: client?.limit ?? null, quota: client?.quota ?? null, sources: client?.sources ?? [], peak: peaksOf.get(name)?.get(query.to) ?? null };
    }),
    license: config.license ?? null,
    totals,
    breaches,
    gaps: gapRows,
    licenseUse: config.license && query.client === undefined ? licenseUseByDate(totals, config.license.limit) : [],
  };
}

/** Every client there is: configured ones, and any other label that has runs. */
export async function clientNames(deps: { runs: RunsRepository; config: Pick<Config, 'clients' | 'clientsDeclared'> }): Promise<string[]> {
  const configured = deps.config.clientsDeclared ? deps.config.clients.map((client) => client.name) : [];
  return [...new Set([...configured, ...(await deps.runs.clientsWithRuns())])].sort();
}

/** Completeness of one client's dates, as `/api/completeness` answers. */
export async function clientCompleteness(deps: { runs: RunsRepository; config: Pick<Config, 'clients' | 'clientsDeclared'> }, client: string, from: string, to: string): Promise<DateCompleteness[]> {
  const scope = clientNamed(deps.config, client);
  if (!scope) throw new InputError(`unknown client ${client}`, [{ path: 'client', message: `configured clients are ${deps.config.clients.map((known) => known.name).join(', ')}` }]);
  if (from > to) throw new InputError('from is after to', [{ path: 'from', message: `${from} is after ${to}` }]);
  if (daysBetween(from, to) >= MAX_COMPLETENESS_DAYS) throw new InputError(`at most ${MAX_COMPLETENESS_DAYS} days`, [{ path: 'from', message: `ask for ${MAX_COMPLETENESS_DAYS} days or fewer` }]);
  return completeness(await deps.runs.runGroups(client, from, to), scope.sources, from, to);
}

function licenseUseByDate(totals: readonly DailyTotal[], limit: number): TotalsReport['licenseUse'] {
  const byDate = new Map<string, DailyTotal[]>();
  for (const row of totals) byDate.set(row.businessDate, [...(byDate.get(row.businessDate) ?? []), row]);
  return [...byDate].map(([businessDate, rows]) => {
    const use = licenseUse(
      rows.map((row) => ({ client: row.client, total: row.total, runName: row.runName })),
      limit,
    );
    return { businessDate, sum: use.sum, limit, over: use.over };
  });
}

function datesOf(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/** Gaps are looked for over at most the last 366 days of the range. */
function lastDays(from: string, to: string): string {
  const earliest = addDays(to, -(MAX_COMPLETENESS_DAYS - 1));
  return from > earliest ? from : earliest;
}
