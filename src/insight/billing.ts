/**
 * What a run's Control-M jobs-status sources would bill under each definition (pure): the
 * ordered job rows (on-premises task licensing), their executions (BMC's SaaS usage report),
 * what jobs that never ran and dummy jobs cost, and how far each count is from the server's
 * own usage figure when reconciled.
 */

export interface MetricValueRow {
  source: string | null;
  metric: string;
  value: number;
}

export interface BillingRow {
  source: string;
  /** The source's count: what this run billed. */
  billed: number;
  ordered: number;
  executions: number;
  neverRan: number;
  dummy: number;
  carriedOver: number;
  /** `usage/jobs` and the distance to it, for a reconciled source. */
  serverUsage: number | undefined;
  drift: number | undefined;
}

/** One row per source that stored both `ordered` and `executions`, in the order met. */
export function billingRows(metrics: readonly MetricValueRow[]): BillingRow[] {
  const bySource = new Map<string, Map<string, number>>();
  for (const row of metrics) {
    if (row.source === null) continue;
    const values = bySource.get(row.source) ?? new Map<string, number>();
    values.set(row.metric, row.value);
    bySource.set(row.source, values);
  }
  return [...bySource].flatMap(([source, values]) => {
    const ordered = values.get('ordered');
    const executions = values.get('executions');
    if (ordered === undefined || executions === undefined) return [];
    return [
      {
        source,
        billed: values.get('job_executions') ?? 0,
        ordered,
        executions,
        neverRan: values.get('never_ran') ?? 0,
        dummy: values.get('dummy') ?? 0,
        carriedOver: values.get('carried_over') ?? 0,
        serverUsage: values.get('server_usage'),
        drift: values.get('drift'),
      },
    ];
  });
}
