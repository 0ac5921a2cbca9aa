import { MissingCountError, SourceUnavailableError } from '../errors.js';
import { formatCount } from '../format.js';
import { validateCount } from './count.js';

/**
 * `usage/jobs` (BMC Usage service, Control-M/EM 9.0.21+): `{"usage":[{"server","jobExecution"}],
 * "totalJobExecution"}`, the eligible jobs of the current Control-M day from New Day on. Pure.
 */
export function readUsageJobs(source: string, body: unknown): { total: number; byServer: Record<string, number> | undefined } {
  const total = validateCount(source, (body as { totalJobExecution?: unknown } | null)?.totalJobExecution, 'totalJobExecution');
  const usage = (body as { usage?: unknown }).usage;
  if (!Array.isArray(usage)) return { total, byServer: undefined };
  const byServer = new Map<string, number>();
  usage.forEach((entry: unknown, index) => {
    const { server, jobExecution } = (entry ?? {}) as { server?: unknown; jobExecution?: unknown };
    const count = validateCount(source, jobExecution, `usage[${index}].jobExecution`);
    const name = typeof server === 'string' && server ? server : `(server ${index + 1})`;
    byServer.set(name, (byServer.get(name) ?? 0) + count);
  });
  const sum = [...byServer.values()].reduce((left, right) => left + right, 0);
  if (sum !== total) throw new MissingCountError(source, `totalJobExecution ${formatCount(total)} does not match the sum of usage ${formatCount(sum)}`);
  return { total, byServer: Object.fromEntries(byServer) };
}

/** Keys a day's entry of the SaaS usage report may name its date and its job count with. */
const DATE_KEYS = ['date', 'day'];
const COUNT_KEYS = ['jobExecutions', 'jobExecution', 'totalJobExecution', 'totalJobExecutions', 'jobs', 'total', 'count'];

/**
 * The business date's figure in a Control-M SaaS `usage/report?reportBy=day&year=YYYY` answer
 * (BMC "Usage Report service": jobs executed per day on each tenant; folders, sub-folders, SLA
 * Management and dummy jobs are not counted; the data is updated once a day at 1:00 AM Pacific).
 * BMC publishes the parameters but no field-by-field daily answer, so this reads any entry, at
 * any depth, whose `date`/`day` is that day, and sums the entries of the tenants. A day without
 * an entry is not in the report yet: a transient error, never 0. Pure.
 */
export function readUsageReportDay(source: string, body: unknown, businessDate: string): { total: number; byTenant: Record<string, number> } {
  const byTenant = new Map<string, number>();
  let entries = 0;
  const visit = (value: unknown, tenant: string | undefined, where: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, tenant, `${where}[${index}]`));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    const name = typeof record.tenant === 'string' ? record.tenant : typeof record.tenantName === 'string' ? record.tenantName : tenant;
    const dateKey = DATE_KEYS.find((key) => Object.hasOwn(record, key));
    if (dateKey !== undefined && sameDay(record[dateKey], businessDate)) {
      const countKey = COUNT_KEYS.find((key) => Object.hasOwn(record, key));
      if (countKey === undefined) throw new MissingCountError(source, `${where} is the entry of ${businessDate} but has no job count (${COUNT_KEYS.join(', ')})`);
      const count = validateCount(source, record[countKey], `${where}.${countKey}`);
      const key = name ?? '(tenant)';
      byTenant.set(key, (byTenant.get(key) ?? 0) + count);
      entries++;
      return;
    }
    for (const [key, child] of Object.entries(record)) if (typeof child === 'object') visit(child, name, where ? `${where}.${key}` : key);
  };
  visit(body, undefined, '');
  if (entries === 0) {
    throw new SourceUnavailableError(source, `the usage report has no figure for ${businessDate} yet`, {
      transient: true,
      hint: 'BMC updates the report once a day (1:00 AM Pacific): the run is retried, and a later run counts it',
    });
  }
  return { total: [...byTenant.values()].reduce((left, right) => left + right, 0), byTenant: Object.fromEntries(byTenant) };
}

/** `2026-11-24`, `2026-11-24T00:00:00Z`, `20261124` and `11/24/2026` all name 2026-11-24. */
function sameDay(value: unknown, businessDate: string): boolean {
  if (typeof value !== 'string') return false;
  const [year, month, day] = businessDate.split('-');
  return value.startsWith(businessDate) || value === `${year}${month}${day}` || value === `${month}/${day}/${year}`;
}
