import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { payloadFor } from '../../src/notify/channels.js';
import { describeAlert, type AlertEvent } from '../../src/notify/events.js';
import { Secret } from '../../src/config/secret.js';

const sources = [{ name: 'SPA', type: 'static', count: 1 }];

describe('insight config', () => {
  it('has defaults for the anomaly rule and the forecast', () => {
    const { insight } = parseConfig({ sources });
    expect(insight.anomalies).toEqual({ enabled: true, historyRuns: 14, lookbackDays: 28, k: 5, minHistoryRuns: 7, madFloorPercent: 1, madFloorCount: 1 });
    expect(insight.forecast).toEqual({ enabled: true, historyDays: 14, checkEveryMs: 60_000, minFraction: 0.05, minLinearMs: 7_200_000 });
    expect(insight.topApplications).toBe(10);
  });

  it('accepts durations and overrides, and names bad fields', () => {
    const { insight } = parseConfig({ sources, insight: { anomalies: { k: 3.5, historyRuns: 30 }, forecast: { checkEveryMs: '5m', enabled: false } } });
    expect(insight.anomalies).toMatchObject({ k: 3.5, historyRuns: 30, minHistoryRuns: 7 });
    expect(insight.forecast).toMatchObject({ checkEveryMs: 300_000, enabled: false });
    let error: unknown;
    try {
      parseConfig({ sources, insight: { anomalies: { k: 0, historyRuns: 5 }, forecast: { historyDays: 0 }, bogus: 1 } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path).sort()).toEqual(['insight', 'insight.anomalies.k', 'insight.anomalies.minHistoryRuns', 'insight.forecast.historyDays']);
  });

  it('rejects a minimum history larger than the history', () => {
    expect(() => parseConfig({ sources, insight: { anomalies: { historyRuns: 5 } } })).toThrow(ConfigError);
  });

  it('lets a channel subscribe to the new alert kinds', () => {
    const config = parseConfig(
      { sources, alerts: { channels: [{ name: 'ops', type: 'slack', url: { env: 'HOOK' }, events: ['anomaly', 'forecast-breach'] }] } },
      { env: { HOOK: 'https://hooks.example/x' } },
    );
    expect(config.alerts.channels[0]?.events).toEqual(['anomaly', 'forecast-breach']);
  });
});

const anomaly: AlertEvent = {
  kind: 'anomaly',
  runName: '20260115140500',
  client: 'acme',
  businessDate: '2026-01-15',
  hour: '14:00–15:00',
  anomalies: [
    { kind: 'count', subject: 'SPA', value: 41_000, median: 20_000, low: 19_500, high: 20_500, history: 14 },
    { kind: 'ratio', subject: 'UPCTM/ZED', value: 3, median: 2, low: 1.9, high: 2.1, history: 12 },
  ],
};

const breach: AlertEvent = {
  kind: 'forecast-breach',
  client: 'acme',
  businessDate: '2026-01-15',
  total: 30_000,
  projected: 60_000,
  limit: 48_500,
  crossingAt: '2026-01-15T14:07:30.000Z',
  timeZone: 'Europe/Paris',
  basis: 'by this time, the last 14 days had reached a median 50.0% of their final figure',
};

describe('insight alert wording', () => {
  it('explains an anomaly with each finding in plain words', () => {
    const { title, text, severity } = describeAlert(anomaly);
    expect(title).toBe('jobtally: unusual count for acme (SPA, UPCTM/ZED)');
    expect(text).toBe(
      [
        'Unusual count: SPA counted 41,000 job executions, far above the expected 19,500–20,500 (median 20,000 of the last 14 successful runs at 14:00–15:00).',
        'Unusual ratio: UPCTM and ZED disagree; UPCTM/ZED is 3, far above the expected 1.9–2.1 (median 2 of the last 12 successful runs at 14:00–15:00).',
        'Run 20260115140500, business date 2026-01-15.',
      ].join('\n'),
    );
    expect(severity).toBe('warning');
  });

  it('tells a projected breach before it happens, with the local crossing time', () => {
    const { title, text, severity } = describeAlert(breach);
    expect(title).toBe('jobtally: acme is heading over the license limit on 2026-01-15');
    expect(text).toBe(
      'Projected 60,000 by the end of the day against the limit 48,500; 30,000 so far. At the usual pace it goes over around 15:07 (Europe/Paris). Projection: by this time, the last 14 days had reached a median 50.0% of their final figure.',
    );
    expect(severity).toBe('warning');
    expect(describeAlert({ ...breach, crossingAt: null }).text).not.toMatch(/goes over around/);
  });

  it('links an anomaly to its run and a projected breach to the insight page', () => {
    const channel = { name: 'hook', type: 'webhook' as const, url: new Secret('https://hooks.example/x', 'test'), hmacSecret: undefined };
    expect(payloadFor(channel, anomaly, { publicUrl: 'https://jobtally.example.com/' })).toMatchObject({ url: 'https://jobtally.example.com/runs/20260115140500' });
    expect(payloadFor(channel, breach, { publicUrl: 'https://jobtally.example.com' })).toMatchObject({ url: 'https://jobtally.example.com/insight?client=acme' });
  });
});

describe('drift alerts', () => {
  const drift: AlertEvent = { kind: 'drift', runName: '20261124101500', client: 'acme', businessDate: '2026-11-24', source: 'UPCTM', own: 10_500, server: 10_000, driftPercent: 5, maxDriftPercent: 2 };

  it('says both figures, the threshold and what to check', () => {
    const { title, text, severity } = describeAlert(drift);
    expect(severity).toBe('warning');
    expect(title).toBe("jobtally: UPCTM differs from Control-M's own usage figure by 5.0% (acme)");
    expect(text).toBe('jobtally counted 10,500, usage/jobs says 10,000 on 2026-11-24 (alert above 2%, run 20261124101500). Check countAs, the query filters and the partitions of this source.');
  });

  it('is a kind a channel can subscribe to, and links to its run', () => {
    const channel = { name: 'hook', type: 'webhook' as const, url: new Secret('https://hooks.example/x', 'test'), hmacSecret: undefined };
    expect(payloadFor(channel, drift, { publicUrl: 'https://jobtally.example.com' })).toMatchObject({ url: 'https://jobtally.example.com/runs/20261124101500' });
    const config = parseConfig({ sources: [{ name: 'SPA', type: 'static', count: 1 }], alerts: { channels: [{ name: 'ops', type: 'webhook', url: { env: 'HOOK' }, events: ['drift'] }] } }, { env: { HOOK: 'https://hooks.example/x' } });
    expect(config.alerts.channels[0]?.events).toEqual(['drift']);
  });
});
