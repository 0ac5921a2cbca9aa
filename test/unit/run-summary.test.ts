import { describe, expect, it } from 'vitest';
import { runSummary } from '../../src/http/api.js';
import type { RunListRow } from '../../src/persistence/runs-repository.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';

const finished: RunListRow = {
  id: 7,
  name: '20251215143022_2',
  job: 'license-count',
  client: 'acme',
  parameters: { sources: ['SPA'] },
  status: RUN_STATUS.success,
  trigger: 'api',
  message: 'done',
  retryCount: 1,
  retriedFrom: '20251215142000',
  idempotencyKey: 'api:1',
  businessDate: '2025-12-15',
  scopeSources: ['SPA'],
  scopeLimit: 10_000,
  complete: true,
  countedTotal: null,
  createdAt: new Date('2025-12-15T14:30:22.5Z'),
  updatedAt: new Date('2025-12-15T14:31:00Z'),
  startedAt: new Date('2025-12-15T14:30:23.001Z'),
  finishedAt: new Date('2025-12-15T14:30:35Z'),
  total: 12_345,
  limit: 10_000,
};

describe('runSummary', () => {
  it('is the JSON of the run with its short id and status name', () => {
    expect(JSON.parse(JSON.stringify(runSummary(finished)))).toEqual({
      name: '20251215143022_2',
      id: '251215-143022-2',
      client: 'acme',
      job: 'license-count',
      status: 'success',
      trigger: 'api',
      total: 12_345,
      limit: 10_000,
      retryCount: 1,
      retriedFrom: '20251215142000',
      businessDate: '2025-12-15',
      scope: { sources: ['SPA'], limit: 10_000, complete: true },
      countedTotal: null,
      createdAt: '2025-12-15T14:30:22.500Z',
      startedAt: '2025-12-15T14:30:23.001Z',
      finishedAt: '2025-12-15T14:30:35.000Z',
      message: 'done',
    });
  });

  it('writes the dates exactly as stringifying the Dates would, absent ones as null', () => {
    const pending = { ...finished, status: RUN_STATUS.pending, startedAt: null, finishedAt: null, total: null, limit: null, message: null };
    for (const row of [finished, pending]) {
      const withDates = { ...runSummary(row), createdAt: row.createdAt, startedAt: row.startedAt, finishedAt: row.finishedAt };
      expect(JSON.stringify(runSummary(row))).toBe(JSON.stringify(withDates));
    }
    expect(runSummary(pending)).toMatchObject({ startedAt: null, finishedAt: null });
  });
});
