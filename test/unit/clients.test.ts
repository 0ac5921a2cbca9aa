import { describe, expect, it } from 'vitest';
import { clientNamed, describeScope, scopeOf } from '../../src/config/clients.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { licenseUse } from '../../src/flow/license.js';
import { completeness, type RunGroup } from '../../src/insight/completeness.js';
import { rollingPeaks, setsNewPeak } from '../../src/insight/peak.js';

const sources = [
  { name: 'SPA', type: 'static', count: 1 },
  { name: 'UPCTM', type: 'static', count: 2 },
];

function issuesOf(raw: Record<string, unknown>): string[] {
  try {
    parseConfig({ sources, ...raw });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('clients config', () => {
  it('without clients: one client, every source, the top-level limit; any label gets that scope', () => {
    const config = parseConfig({ sources, limit: 900, client: 'main' });
    expect(config.clients).toEqual([{ name: 'main', sources: ['SPA', 'UPCTM'], limit: 900, nearLimitPercent: 90, quota: undefined }]);
    expect(config.clientsDeclared).toBe(false);
    expect(clientNamed(config, 'acme')).toMatchObject({ name: 'acme', sources: ['SPA', 'UPCTM'], limit: 900 });
  });

  it('resolves shares as percent or units, the smaller of limit and quota, and client schedules', () => {
    const config = parseConfig({
      sources,
      license: { limit: 10_000 },
      clients: [
        { name: 'acme', sources: ['UPCTM', 'SPA'], share: '25%', limit: 2000, schedule: { every: '5m' } },
        { name: 'Beta_2', sources: ['SPA'], share: 3000, nearLimitPercent: 80 },
      ],
    });
    expect(config.clients).toEqual([
      { name: 'acme', sources: ['SPA', 'UPCTM'], limit: 2000, nearLimitPercent: 90, quota: 2500 },
      { name: 'Beta_2', sources: ['SPA'], limit: 3000, nearLimitPercent: 80, quota: 3000 },
    ]);
    expect(config.schedules).toEqual([{ name: 'client-acme', client: 'acme', every: 300_000 }]);
    expect(clientNamed(config, 'acme-x')).toBeUndefined();
  });

  it('names every bad reference', () => {
    expect(
      issuesOf({
        clients: [
          { name: 'acme', sources: ['SPA', 'NOPE'], share: '60%' },
          { name: 'acme', sources: ['SPA', 'SPA'] },
        ],
        schedules: [{ name: 'tick', every: '5m', client: 'zed' }],
      }),
    ).toEqual(['clients[1].name: duplicate client name acme', 'clients[1].sources[1]: source SPA is listed twice']);
    expect(issuesOf({ clients: [{ name: 'acme', sources: ['SPA', 'NOPE'], share: '60%' }], schedules: [{ name: 'tick', every: '5m', client: 'zed' }] })).toEqual([
      'clients[0].sources[1]: unknown source NOPE: configured sources are SPA, UPCTM',
      'clients[0].share: a share needs the shared license: set license.limit',
      'schedules[0].client: unknown client zed: configured clients are acme',
    ]);
    expect(issuesOf({ license: { limit: 100 }, clients: [{ name: 'a', sources: ['SPA'], share: '60%' }, { name: 'b', sources: ['SPA'], share: 50 }] })).toEqual([
      "clients: the clients' shares add up to 110 units, more than license.limit 100",
    ]);
    expect(issuesOf({ license: { limit: 100 }, clients: [{ name: 'a', sources: ['SPA'], share: '120%' }] })).toEqual(['clients[0].share: "120%" is not a share (use a percent such as 30% or a number of units)']);
  });

  it('says whether a run is complete and how its scope reads', () => {
    const acme = { name: 'acme', sources: ['SPA', 'UPCTM'], limit: 1, nearLimitPercent: 90, quota: undefined };
    expect(scopeOf(acme, ['UPCTM', 'SPA'])).toEqual({ complete: true, missing: [] });
    expect(scopeOf(acme, ['UPCTM'])).toEqual({ complete: false, missing: ['SPA'] });
    expect(describeScope(['UPCTM'], acme.sources)).toBe('partial scope: 1 of 2 sources');
    expect(describeScope(['SPA', 'UPCTM'], acme.sources)).toBe('complete scope: all 2 sources');
  });
});

describe('shared license', () => {
  it('adds the figures, biggest first, and is over only above the limit', () => {
    const figures = [
      { client: 'beta', total: 200, runName: 'b' },
      { client: 'acme', total: 300, runName: 'a' },
    ];
    expect(licenseUse(figures, 500)).toEqual({ sum: 500, limit: 500, over: false, figures: [figures[1], figures[0]] });
    expect(licenseUse(figures, 499).over).toBe(true);
  });
});

describe('rolling 365-day peaks', () => {
  it('is the highest figure of the 365 days ending on each date, the earliest on ties', () => {
    const figures = [
      { date: '2025-01-01', total: 900 },
      { date: '2025-06-01', total: 500 },
      { date: '2025-07-01', total: 500 },
      { date: '2026-01-01', total: 100 },
    ];
    const peaks = rollingPeaks(figures, ['2025-12-31', '2026-01-01', '2024-12-31']);
    expect(peaks.get('2025-12-31')).toEqual({ total: 900, businessDate: '2025-01-01' });
    expect(peaks.get('2026-01-01')).toEqual({ total: 500, businessDate: '2025-06-01' });
    expect(peaks.has('2024-12-31')).toBe(false);
    expect(setsNewPeak(501, { total: 500, businessDate: '2025-06-01' })).toBe(true);
    expect(setsNewPeak(500, { total: 500, businessDate: '2025-06-01' })).toBe(false);
    expect(setsNewPeak(1, undefined)).toBe(true);
  });
});

describe('completeness', () => {
  const group = (date: string, status: RunGroup['status'], complete: boolean, sources: string[], at: string): RunGroup => ({
    date,
    status,
    complete,
    sources,
    runs: 1,
    firstAt: new Date(at),
    lastAt: new Date(at),
    latestRun: `${date}-${status}`,
  });

  it('judges each date and source: figure, failing since, partial only, running, no run', () => {
    const dates = completeness(
      [
        group('2026-01-01', 'error', true, ['SPA', 'UPCTM'], '2026-01-01T08:00:00Z'),
        group('2026-01-01', 'success', true, ['SPA', 'UPCTM'], '2026-01-01T09:00:00Z'),
        group('2026-01-02', 'error', true, ['SPA', 'UPCTM'], '2026-01-02T10:00:00Z'),
        group('2026-01-02', 'success', false, ['SPA'], '2026-01-02T11:00:00Z'),
        group('2026-01-03', 'success', false, ['UPCTM'], '2026-01-03T11:00:00Z'),
        group('2026-01-05', 'pending', true, ['SPA', 'UPCTM'], '2026-01-05T11:00:00Z'),
      ],
      ['SPA', 'UPCTM'],
      '2026-01-01',
      '2026-01-05',
    );
    expect(dates.map((date) => [date.date, date.state, date.failingSince, date.sources.map((source) => source.state).join(' ')])).toEqual([
      ['2026-01-01', 'complete', null, 'counted counted'],
      ['2026-01-02', 'failing', '2026-01-02T10:00:00.000Z', 'partial-only failing'],
      ['2026-01-03', 'partial-only', null, 'no-run partial-only'],
      ['2026-01-04', 'no-run', null, 'no-run no-run'],
      ['2026-01-05', 'running', null, 'running running'],
    ]);
    expect(dates[1]?.latestRun).toBe('2026-01-02-success');
  });
});
