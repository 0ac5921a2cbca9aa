import { describe, expect, it } from 'vitest';
import { runsPage } from '../../src/http/pages.js';
import { parseRunListQuery } from '../../src/http/run-query.js';
import type { RunListRow } from '../../src/persistence/runs-repository.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';

function run(overrides: Partial<RunListRow>): RunListRow {
  return {
    id: 1,
    name: '20251215143022_2',
    job: 'license-count',
    client: 'acme & co',
    parameters: {},
    status: RUN_STATUS.error,
    trigger: 'manual',
    message: null,
    retryCount: 1,
    retriedFrom: null,
    idempotencyKey: null,
    businessDate: '2025-12-15',
    scopeSources: null,
    scopeLimit: null,
    complete: true,
    countedTotal: null,
    createdAt: new Date('2025-12-15T14:30:22.500Z'),
    updatedAt: new Date('2025-12-15T14:31:00Z'),
    startedAt: new Date('2025-12-15T14:30:23Z'),
    finishedAt: new Date('2025-12-15T14:30:35.400Z'),
    total: 12_345,
    limit: 10_000,
    ...overrides,
  };
}

function page(rows: RunListRow[]) {
  const { query } = parseRunListQuery({});
  return runsPage({ query, page: { rows, nextCursor: undefined }, counts: { pending: 0, processing: 2, error: 1_234, success: 1_000_000 }, firstPage: true }).value;
}

describe('runsPage', () => {
  it('writes each run as one row of cells', () => {
    expect(page([run({})])).toContain(`<tr>
<td><a href="/runs/20251215143022_2">20251215143022_2</a></td><td>251215-143022-2</td><td>acme &amp; co</td><td>license-count</td>
<td><span class="status-error">error</span></td><td class="num"><span class="over">12,345 / 10,000</span></td><td>manual</td>
<td class="num">1</td><td>2025-12-15 14:30:22</td><td>2025-12-15 14:30:35</td><td class="num">12.4 s</td>
</tr>`);
  });

  it('leaves out what a run does not have yet, and shows each status', () => {
    const html = page([run({ status: RUN_STATUS.pending, startedAt: null, finishedAt: null, total: null, limit: null, retryCount: 0, client: 'default' })]);
    expect(html).toContain(`<td><span class="status-pending">pending</span></td><td class="num"></td><td>manual</td>
<td class="num">0</td><td>2025-12-15 14:30:22</td><td></td><td class="num"></td>`);
    for (const [status, code] of Object.entries(RUN_STATUS)) expect(page([run({ status: code })])).toContain(`<span class="status-${status}">${status}</span>`);
  });

  it('counts each status with its link', () => {
    const html = page([]);
    expect(html).toContain('<a class="" href="/runs?status=success">success <strong>1,000,000</strong></a>');
    expect(html).toContain('<a class="" href="/runs?status=error">error <strong>1,234</strong></a>');
    expect(html).toContain('<th class=""><a href="/runs?dir=asc">Started ↓</a></th>');
    expect(html).toContain('No runs match these filters.');
  });
});
