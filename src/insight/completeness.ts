import { addDays } from './calendar.js';

/**
 * Completeness by business date (pure): for a client, each date and each source of its scope,
 * whether a successful complete run covered it, and if not, why: no run at all, runs failing
 * since some time, or only ad-hoc runs over part of the sources.
 */

export type RunGroupStatus = 'pending' | 'processing' | 'error' | 'success';

/** A client's runs of one date with one outcome and scope (as `RunsRepository.runGroups` reads them). */
export interface RunGroup {
  date: string;
  status: RunGroupStatus;
  complete: boolean;
  sources: string[];
  runs: number;
  firstAt: Date;
  lastAt: Date;
  latestRun: string;
}

/** `complete`: the date has its figure. The others are gaps. */
export type DateState = 'complete' | 'failing' | 'partial-only' | 'running' | 'no-run';
export type SourceState = 'counted' | 'partial-only' | 'failing' | 'running' | 'no-run';

export interface DateCompleteness {
  date: string;
  state: DateState;
  /** When the first failed run of a date without a figure was queued. */
  failingSince: string | null;
  /** The latest run of the date, whatever its outcome. */
  latestRun: string | null;
  sources: { source: string; state: SourceState }[];
}

export const MAX_COMPLETENESS_DAYS = 366;

export function completeness(groups: readonly RunGroup[], sources: readonly string[], from: string, to: string): DateCompleteness[] {
  const byDate = new Map<string, RunGroup[]>();
  for (const group of groups) byDate.set(group.date, [...(byDate.get(group.date) ?? []), group]);
  const dates: DateCompleteness[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(judgeDate(date, byDate.get(date) ?? [], sources));
  return dates;
}

function judgeDate(date: string, groups: readonly RunGroup[], sources: readonly string[]): DateCompleteness {
  const latest = groups.reduce<RunGroup | undefined>((found, group) => (!found || group.lastAt > found.lastAt ? group : found), undefined);
  const figure = groups.some((group) => group.status === 'success' && group.complete);
  const failures = groups.filter((group) => group.status === 'error');
  const failingSince = figure || failures.length === 0 ? null : new Date(Math.min(...failures.map((group) => group.firstAt.getTime()))).toISOString();
  const sourceState = (source: string): SourceState => {
    if (figure) return 'counted';
    const touching = groups.filter((group) => group.sources.includes(source));
    if (touching.some((group) => group.status === 'success')) return 'partial-only';
    if (touching.some((group) => group.status === 'error')) return 'failing';
    if (touching.length > 0) return 'running';
    return 'no-run';
  };
  const state: DateState = figure
    ? 'complete'
    : failures.length > 0
      ? 'failing'
      : groups.some((group) => group.status === 'success')
        ? 'partial-only'
        : groups.length > 0
          ? 'running'
          : 'no-run';
  return { date, state, failingSince, latestRun: latest?.latestRun ?? null, sources: sources.map((source) => ({ source, state: sourceState(source) })) };
}

/** The dates that are gaps: everything but complete. */
export function gaps(dates: readonly DateCompleteness[]): DateCompleteness[] {
  return dates.filter((date) => date.state !== 'complete');
}
