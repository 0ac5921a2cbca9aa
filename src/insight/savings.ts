import { ORDERED_NOT_RUNNING_STATUSES } from '../sources/controlm-statuses.js';

/**
 * Units that could be saved (pure): job executions that failed, and jobs ordered but not running,
 * count against the license like any other. Read from a run's Control-M status breakdown.
 */

export const SAVING_GROUPS = {
  failed: { label: 'Failed (Ended Not OK)', statuses: ['Ended Not OK'] },
  waiting: { label: 'Ordered but not running (Wait Condition/Resource/User/Host/Workload)', statuses: ORDERED_NOT_RUNNING_STATUSES },
} as const;

export type SavingGroup = keyof typeof SAVING_GROUPS;
export const SAVING_GROUP_NAMES = Object.keys(SAVING_GROUPS) as SavingGroup[];

export interface StatusCount {
  source: string;
  status: string;
  count: number;
}

export interface SavingRow {
  group: SavingGroup;
  /** A source name, or undefined for the sum over all sources. */
  source: string | undefined;
  count: number;
  /** Of the run's total (all sources); null when the total is 0. */
  share: number | null;
}

const GROUP_OF = new Map<string, SavingGroup>(SAVING_GROUP_NAMES.flatMap((group) => SAVING_GROUPS[group].statuses.map((status) => [status.toLowerCase(), group] as const)));

export function savingGroupOf(status: string): SavingGroup | undefined {
  return GROUP_OF.get(status.trim().toLowerCase());
}

/**
 * Per group: one row for all sources, then one per source that reported statuses. `total` is the
 * run's total over every source, so shares are of the whole license use.
 */
export function savings(statuses: readonly StatusCount[], total: number): SavingRow[] {
  const sources = [...new Set(statuses.map((row) => row.source))].sort();
  const share = (count: number) => (total > 0 ? count / total : null);
  return SAVING_GROUP_NAMES.flatMap((group) => {
    const inGroup = statuses.filter((row) => savingGroupOf(row.status) === group);
    const sum = (rows: readonly StatusCount[]) => rows.reduce((accumulator, row) => accumulator + row.count, 0);
    const all = sum(inGroup);
    return [
      { group, source: undefined, count: all, share: share(all) },
      ...sources.map((source) => {
        const count = sum(inGroup.filter((row) => row.source === source));
        return { group, source, count, share: share(count) };
      }),
    ];
  });
}
