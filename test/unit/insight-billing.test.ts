import { describe, expect, it } from 'vitest';
import { billingRows } from '../../src/insight/billing.js';
import { savingGroupOf } from '../../src/insight/savings.js';

describe('billingRows', () => {
  it('shows each jobs-status source under both definitions, with its reconciliation when it has one', () => {
    const rows = billingRows([
      { source: null, metric: 'ordered', value: 9 },
      { source: 'SPA', metric: 'job_executions', value: 5 },
      { source: 'SPA', metric: 'ordered', value: 5 },
      { source: 'SPA', metric: 'executions', value: 14 },
      { source: 'SPA', metric: 'never_ran', value: 1 },
      { source: 'SPA', metric: 'dummy', value: 1 },
      { source: 'SPA', metric: 'carried_over', value: 2 },
      { source: 'SPA', metric: 'server_usage', value: 5 },
      { source: 'SPA', metric: 'drift', value: 0 },
      { source: 'UPCTM', metric: 'job_executions', value: 20 },
      { source: 'UPCTM', metric: 'ordered', value: 4 },
      { source: 'UPCTM', metric: 'executions', value: 20 },
      { source: 'USAGE', metric: 'job_executions', value: 7 },
    ]);
    expect(rows).toEqual([
      { source: 'SPA', billed: 5, ordered: 5, executions: 14, neverRan: 1, dummy: 1, carriedOver: 2, serverUsage: 5, drift: 0 },
      { source: 'UPCTM', billed: 20, ordered: 4, executions: 20, neverRan: 0, dummy: 0, carriedOver: 0, serverUsage: undefined, drift: undefined },
    ]);
  });
});

describe('savings groups', () => {
  it('counts Wait Workload (held back by a workload policy) as ordered but not running', () => {
    expect(savingGroupOf('Wait Workload')).toBe('waiting');
  });
});
