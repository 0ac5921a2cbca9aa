import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { createHarness, runOnce, type Harness } from '../support/harness.js';
import { promtoolComplaints } from '../support/promtool.js';
import { ControlmSimulator, simulatedJob } from '../support/sim-controlm.js';
import { SECRET_ENV, sourceFromConfig } from './support.js';

let harness: Harness;
let simulator: ControlmSimulator;
let metrics: Metrics;

/**
 * A server that ignores orderDateFrom/orderDateTo and answers like `ctm run jobs:status::get`
 * (startIndex/itemsPerPage/total, no `returned`): today's jobs (no orderDate here: the simulator
 * stamps the asked date), a folder named only through its children's folderId, and rows kept
 * from an old order date.
 */
const ROWS = [
  simulatedJob({ name: 'load', folderId: 'ctm01:NIGHTLY', numberOfRuns: 1 }),
  simulatedJob({ name: 'poll', folderId: 'ctm01:NIGHTLY', numberOfRuns: 4, cyclic: true, status: 'Executing' }),
  simulatedJob({ name: 'wait', folderId: 'ctm01:NIGHTLY', numberOfRuns: 0, status: 'Wait Workload' }),
  simulatedJob({ name: 'noop', folderId: 'ctm01:NIGHTLY', numberOfRuns: 1, type: 'Dummy' }),
  simulatedJob({ name: 'NIGHTLY', type: 'Application Flow', folderId: 'ctm01:root', numberOfRuns: 1 }),
  simulatedJob({ name: 'stale-held', orderDate: '000101', numberOfRuns: 0, status: 'Wait Condition', held: true }),
];

beforeAll(async () => {
  simulator = await ControlmSimulator.start({
    apiKey: SECRET_ENV.CTM_KEY,
    jobs: ROWS,
    ignoresOrderDate: true,
    usage: { ctm01: 5 },
    servers: [
      { name: 'ctm01', state: 'Up', version: '9.0.21.200' },
      { name: 'ctm02', state: 'Down', version: '9.0.21.200' },
    ],
  });
  harness = await createHarness({ sources: [{ name: 'SPA', type: 'static', count: 1 }] });
  metrics = new Metrics({ queues: Object.values(harness.queueSet.queues), runs: harness.runs });
  harness.startWorkers(
    [
    sourceFromConfig({ type: 'controlm', mode: 'jobs-status', countAs: 'executions', pageLimit: 7, endpoint: simulator.endpoint, auth: { apiKey: { env: 'CTM_KEY' } }, reconcile: { with: 'usage', maxDriftPercent: 10 } }),
    ],
    { onSourceHealth: metrics.onSourceHealth },
  );
});
afterAll(async () => {
  await harness.close();
  await simulator.close();
});

describe('a real-shaped jobs-status answer through the flow', () => {
  it('stores the executions billed, every metric, the run-log warnings and a drift alert', async () => {
    const { run, total, counts, metrics, details } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.success);
    // load 1 + poll 4 + wait 0 (noop is a dummy, NIGHTLY a folder, stale-held of another day).
    expect(total?.total).toBe(5);
    const stored = Object.fromEntries(metrics.filter((row) => row.source === null).map((row) => [row.metric, row.value]));
    expect(stored).toMatchObject({ job_executions: 5, ordered: 4, executions: 5, never_ran: 1, cyclic_reruns: 3, dummy: 1, failed: 0, ordered_not_running: 1, carried_over: 1, carried_over_held: 1, server_usage: 5, drift: 0 });
    expect(counts[0]?.breakdown).toMatchObject({ byServer: { ctm01: 4 }, byType: { Command: 3, Dummy: 1 }, serverUp: { ctm01: 1, ctm02: 0 } });
    const warnings = details.filter((line) => line.level === 'warn').map((line) => line.message);
    expect(warnings).toEqual(['SPA: the answer has 6 rows, within 20% of pageLimit 7: split the query with partitions before it is capped', 'SPA: Control-M servers not Up: ctm02']);
    expect(details.map((line) => line.message).join('\n')).toMatch(/4 jobs ordered for \d{6}, 5 executions, 1 folders skipped, 1 carried over from earlier order dates \(1 held\)/);
    expect(harness.alerts.filter((alert) => alert.kind === 'drift')).toEqual([]);
  });

  it('raises a drift alert when the server figure is further than maxDriftPercent', async () => {
    simulator.script('GET', 'usage/jobs', [{ body: { usage: [{ server: 'ctm01', jobExecution: 4 }], totalJobExecution: 4 } }]);
    const { run } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.success);
    expect(harness.alerts.filter((alert) => alert.kind === 'drift')).toEqual([
      expect.objectContaining({ kind: 'drift', source: 'SPA', own: 5, server: 4, driftPercent: 25, maxDriftPercent: 10, businessDate: run.businessDate }),
    ]);
  });

  it('exports server state, version and answer rows to Prometheus, in a format promtool accepts', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toContain('jobtally_controlm_server_up{source="SPA",server="ctm01"} 1');
    expect(text).toContain('jobtally_controlm_server_up{source="SPA",server="ctm02"} 0');
    expect(text).toContain('jobtally_controlm_info{source="SPA",version="9.0.21.200"} 1');
    expect(text).toContain('jobtally_controlm_answer_rows{source="SPA"} 6');
    expect(await promtoolComplaints(text)).toBe('');
  });
});
