import { describe, expect, it } from 'vitest';
import { controlmOrderDate, kindOfType, StatusTally, type StatusTallyOptions } from '../../src/sources/controlm-statuses.js';
import { readUsageJobs, readUsageReportDay } from '../../src/sources/controlm-usage.js';
import { SourceUnavailableError } from '../../src/errors.js';

function tally(rows: unknown[], options: StatusTallyOptions = {}) {
  const counter = new StatusTally('SPA', options);
  rows.forEach((row, index) => counter.add(row, `statuses[${index}]`));
  return counter.result();
}

const DAY = '261124';

describe('container and job kinds', () => {
  it.each([
    ['Folder', 'container'],
    ['folder', 'container'],
    ['SubFolder', 'container'],
    ['Sub-Folder', 'container'],
    ['Sub-Table', 'container'],
    ['SubTable', 'container'],
    ['Table', 'container'],
    ['SMART Folder', 'container'],
    ['SmartFolder', 'container'],
    ['Smart Table', 'container'],
    ['Dummy', 'dummy'],
    ['Job:Dummy', 'dummy'],
    ['SLAManagement', 'sla'],
    ['Job:SLAManagement', 'sla'],
    ['Command', 'job'],
    ['Job:Hadoop:Spark:Python', 'job'],
    [undefined, 'job'],
  ])('%s is a %s row', (type, kind) => {
    expect(kindOfType(type)).toBe(kind);
  });

  it('writes business dates as Control-M order dates', () => {
    expect(controlmOrderDate('2026-11-24')).toBe('261124');
    expect(() => controlmOrderDate('24/11/2026')).toThrow(/YYYY-MM-DD/);
  });
});

describe('StatusTally', () => {
  it('skips containers of any spelling and counts the rest by status, application, server and type', () => {
    const result = tally([
      { type: 'Folder', status: 'Ended OK', application: 'FIN' },
      { type: 'Sub-Table', status: 'Ended OK', application: 'FIN' },
      { type: 'SMART Folder', status: 'Ended OK' },
      { type: 'Command', status: 'Ended OK', application: 'FIN', ctm: 'ctm01', numberOfRuns: 1 },
      { type: 'Job', status: 'Ended Not OK', application: 'HR', ctm: 'ctm02', numberOfRuns: 1 },
      { type: 'Job', status: 'Wait User', numberOfRuns: 0 },
    ]);
    expect(result.count).toBe(3);
    expect(result.note).toBe('3 jobs ordered, 2 executions, 3 folders skipped (counted as ordered)');
    expect(result.breakdown).toEqual({
      byStatus: { 'Ended OK': 1, 'Ended Not OK': 1, 'Wait User': 1 },
      byApplication: { FIN: 1, HR: 1, '(none)': 1 },
      bySubApplication: { 'FIN/(none)': 1, 'HR/(none)': 1, '(none)/(none)': 1 },
      byServer: { ctm01: 1, ctm02: 1, '(none)': 1 },
      byType: { Command: 1, Job: 2 },
      flags: {},
    });
  });

  it('treats a row whose jobId is another row\'s folderId as a container, whichever comes first', () => {
    const parentFirst = [
      { jobId: 'c:F', type: 'Application Folder X', status: 'Executing', numberOfRuns: 1 },
      { jobId: 'c:1', folderId: 'c:F', type: 'Command', status: 'Ended OK', numberOfRuns: 3 },
      { jobId: 'c:2', folderId: 'c:F', type: 'Command', status: 'Wait Condition', numberOfRuns: 0 },
    ];
    const childFirst = [parentFirst[1], parentFirst[2], parentFirst[0]];
    for (const rows of [parentFirst, childFirst]) {
      const result = tally(rows);
      expect(result.metrics).toMatchObject({ ordered: 2, executions: 3, never_ran: 1, cyclic_reruns: 2 });
      expect(result.breakdown?.byType).toEqual({ Command: 2 });
      expect(result.note).toContain('1 folders skipped');
    }
  });

  it('counts unknown types and shows them in the by-type breakdown', () => {
    const result = tally([{ type: 'Job:Kubernetes', numberOfRuns: 1, status: 'Ended OK' }, { type: 'SomethingNew', numberOfRuns: 2, status: 'Ended OK' }]);
    expect(result.count).toBe(2);
    expect(result.breakdown?.byType).toEqual({ 'Job:Kubernetes': 1, SomethingNew: 1 });
  });

  it('bills ordered rows or executions as configured, and stores every metric either way', () => {
    const rows = [
      { jobId: 'a', type: 'Command', status: 'Ended OK', numberOfRuns: 1 },
      { jobId: 'b', type: 'Command', status: 'Ended OK', numberOfRuns: 5, cyclic: true },
      { jobId: 'c', type: 'Command', status: 'Wait Condition', numberOfRuns: 0 },
      { jobId: 'd', type: 'Command', status: 'Wait Workload', numberOfRuns: 0 },
      { jobId: 'e', type: 'Dummy', status: 'Ended OK', numberOfRuns: 1 },
      { jobId: 'f', type: 'SLAManagement', status: 'Executing', numberOfRuns: 1 },
      { jobId: 'g', type: 'Command', status: 'Ended Not OK', numberOfRuns: 2 },
    ];
    const metrics = { ordered: 7, executions: 8, never_ran: 2, cyclic_reruns: 5, dummy: 1, failed: 1, ordered_not_running: 2, carried_over: 0, carried_over_held: 0 };
    expect(tally(rows, { countAs: 'ordered' })).toMatchObject({ count: 7, metrics });
    expect(tally(rows, { countAs: 'executions' })).toMatchObject({ count: 8, metrics });
  });

  it('counts the order date only: earlier rows are carried over (with how many are held), later rows skipped', () => {
    const result = tally(
      [
        { jobId: 'a', orderDate: DAY, status: 'Ended OK', numberOfRuns: 1 },
        { jobId: 'b', orderDate: '261123', status: 'Wait Condition', numberOfRuns: 0, held: true },
        { jobId: 'c', orderDate: '261120', status: 'Ended Not OK', numberOfRuns: 1 },
        { jobId: 'd', orderDate: '261125', status: 'Ended OK', numberOfRuns: 1 },
      ],
      { orderDate: DAY },
    );
    expect(result.count).toBe(1);
    expect(result.metrics).toMatchObject({ ordered: 1, executions: 1, carried_over: 2, carried_over_held: 1, failed: 0 });
    expect(result.note).toBe('1 jobs ordered for 261124, 1 executions, 2 carried over from earlier order dates (1 held), 1 of later order dates skipped (counted as ordered)');
  });

  it('counts rows without orderDate or numberOfRuns (DataDog-style sparse rows) and says so', () => {
    const result = tally(
      [
        { ctm: 'workbench', name: 'job_ok', status: 'Ended OK' },
        { ctm: 'workbench', name: 'job_waiting', status: 'Wait Condition' },
        { ctm: 'workbench', name: 'job_running', status: 'Executing' },
      ],
      { orderDate: DAY },
    );
    expect(result.metrics).toMatchObject({ ordered: 3, executions: 2, never_ran: 1, ordered_not_running: 1 });
    expect(result.warnings).toEqual([
      '3 rows have no orderDate: counted as of 261124, as the server was asked for that date',
      '3 rows have no numberOfRuns: 1 run if their status says they started, else 0',
    ]);
  });

  it('refuses a numberOfRuns that is not a whole number', () => {
    expect(() => tally([{ numberOfRuns: '3' }])).toThrow(/statuses\[0\]\.numberOfRuns is "3"/);
    expect(() => tally([{ numberOfRuns: -1 }])).toThrow(/numberOfRuns is -1/);
  });

  it('counts a job seen twice (overlapping partitions) once, and rows without a jobId each', () => {
    const result = tally([{ jobId: 'a', status: 'Ended OK' }, { jobId: 'a', status: 'Ended OK' }, { status: 'Executing' }, { status: 'Executing' }, { jobId: '', status: 'Executing' }]);
    expect(result.count).toBe(4);
    expect(result.breakdown?.byStatus).toEqual({ 'Ended OK': 1, Executing: 3 });
  });

  it('counts held and deleted flags of counted jobs', () => {
    expect(tally([{ held: true }, { deleted: true }, { held: true, deleted: true }]).breakdown?.flags).toEqual({ held: 2, deleted: 2 });
  });

  it('keeps keys named like Object.prototype members as plain keys', () => {
    const result = tally([{ status: '__proto__', application: 'constructor' }, { status: '__proto__', application: 'toString' }]);
    expect(Object.getPrototypeOf(result.breakdown?.byStatus)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(result.breakdown))).toMatchObject({ byStatus: { ['__proto__']: 2 }, byApplication: { constructor: 1, toString: 1 } });
  });

  it('refuses rows that are not objects', () => {
    expect(() => tally([null])).toThrow(/statuses\[0\] is not an object/);
    expect(() => tally([{}, [1, 2]])).toThrow(/statuses\[1\] is not an object/);
  });
});

describe('usage answers', () => {
  it('reads usage/jobs per server (BMC Usage service example)', () => {
    const body = { usage: [{ server: 'server1', jobExecution: 5000 }, { server: 'server2', jobExecution: 200 }, { server: 'server3', jobExecution: 10000 }], totalJobExecution: 15200 };
    expect(readUsageJobs('SPA', body)).toEqual({ total: 15200, byServer: { server1: 5000, server2: 200, server3: 10000 } });
    expect(() => readUsageJobs('SPA', { ...body, totalJobExecution: 15000 })).toThrow(/does not match the sum/);
    expect(readUsageJobs('SPA', { totalJobExecution: 7 })).toEqual({ total: 7, byServer: undefined });
  });

  it('reads the day of the SaaS usage report, summed over tenants, in the date forms it may use', () => {
    const body = {
      tenants: [
        { tenant: 'prod', days: [{ date: '2026-11-23', jobExecutions: 10 }, { date: '2026-11-24', jobExecutions: 40 }] },
        { tenant: 'dev', days: [{ day: '20261124', jobs: 2 }] },
        { tenant: 'qa', days: [{ date: '11/24/2026', total: 1 }] },
      ],
    };
    expect(readUsageReportDay('SPA', body, '2026-11-24')).toEqual({ total: 43, byTenant: { prod: 40, dev: 2, qa: 1 } });
  });

  it('calls a day not in the report yet transient, never 0, and an entry without a count invalid', () => {
    const error = (() => {
      try {
        readUsageReportDay('SPA', { tenants: [{ tenant: 'prod', days: [{ date: '2026-11-23', jobExecutions: 10 }] }] }, '2026-11-24');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect(error).toMatchObject({ transient: true, message: expect.stringMatching(/no figure for 2026-11-24 yet/) as unknown });
    expect(() => readUsageReportDay('SPA', { days: [{ date: '2026-11-24', jobExecutions: -1 }] }, '2026-11-24')).toThrow(/negative/);
    expect(() => readUsageReportDay('SPA', { days: [{ date: '2026-11-24' }] }, '2026-11-24')).toThrow(/has no job count/);
  });
});
