import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../src/persistence/db.js';
import { RunsRepository as Runs } from '../../src/persistence/runs-repository.js';
import { RunWriter } from '../../src/persistence/writer.js';
import { createTestDatabase } from '../support/db.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import type { RunsRepository } from '../../src/persistence/runs-repository.js';

const RULES = 'deploy/prometheus/jobtally-rules.yml';
const DASHBOARD = 'deploy/grafana/jobtally-dashboard.json';

/** Metric names jobtally exports, read from the registry itself (no services needed to list them). */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new Metrics({ queues: [], runs: { latestTotalPerClient: () => Promise.resolve([]) } as unknown as RunsRepository });
  const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
  return new Set(names.flatMap((name) => [name, `${name}_bucket`, `${name}_count`, `${name}_sum`]));
}

function referencedNames(text: string): string[] {
  return [...new Set(text.match(/\b(?:jobtally|process|nodejs)_[a-z_]+\b/g) ?? [])];
}

describe('deploy files', () => {
  it('alert rules pass promtool check rules', async () => {
    const { stdout } = await promisify(execFile)(process.env.PROMTOOL_PATH ?? '/usr/bin/promtool', ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('rules and the Grafana dashboard only use metrics jobtally exports', async () => {
    const exported = await exportedNames();
    for (const file of [RULES, DASHBOARD]) {
      const text = await readFile(file, 'utf8');
      const unknown = referencedNames(text).filter((name) => !exported.has(name));
      expect(unknown, file).toEqual([]);
    }
    expect((JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: unknown[] }).panels.length).toBeGreaterThan(5);
  });
});

interface DashboardPanel {
  title: string;
  datasource: { uid: string };
  targets: { rawSql?: string }[];
}

/** Grafana's time macro, expanded the way the Postgres datasource does for a 30-day range, and the dashboard's license variable. */
function expandMacros(query: string, licenseLimit = ''): string {
  return query
    .replace(/\$__timeFilter\(([^()]*(?:\([^()]*\))?[^()]*)\)/g, "$1 BETWEEN now() - interval '30 days' AND now() + interval '1 day'")
    .replaceAll('${license_limit}', licenseLimit);
}

describe('Grafana SQL panels', () => {
  it('run against the real schema and return the stored totals', async () => {
    const database = await createTestDatabase();
    try {
      const runs = new Runs(database.db);
      const writer = new RunWriter(database.db);
      const today = new Date().toISOString().slice(0, 10);
      let breachRun = '';
      for (const outcome of ['success', 'error', 'breach'] as const) {
        const scope = { sources: ['SPA'], limit: 48_500, complete: true };
        const { run } = await runs.createRun({ job: 'license-count', client: 'acme', parameters: {}, scope, trigger: 'schedule', businessDate: today, firstLine: 'queued' });
        if (outcome === 'success') await writer.completeRun(run.id, { total: 47_000, limit: 48_500, counts: { SPA: 47_000 }, client: 'acme', businessDate: today, message: 'ok', lines: [] });
        else if (outcome === 'error') await writer.failRun(run.id, 'SPA: HTTP 500', []);
        else {
          await writer.failRun(run.id, 'total 50,000 exceeds the license limit 48,500', [], { countedTotal: 50_000 });
          breachRun = run.name;
        }
      }
      const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: DashboardPanel[] };
      const sqlPanels = dashboard.panels.filter((panel) => panel.datasource.uid === 'jobtally-postgres');
      expect(sqlPanels.map((panel) => panel.title)).toEqual([
        'Daily figures per client, their sum, 365-day peak and breaches',
        'Breaches (runs refused over their limit)',
        'Runs per status (per hour)',
        'Failure rate (per day)',
      ]);
      const results = [];
      for (const panel of sqlPanels) {
        const query = expandMacros(panel.targets[0]?.rawSql ?? '');
        results.push(await queryRows<Record<string, unknown>>(database.db, sql.raw(query)));
      }
      // bigint columns come back as text from postgres.js; Grafana reads them as numbers.
      const numbers = (rows: Record<string, unknown>[] | undefined, columns: string[]) => (rows ?? []).map((row) => columns.map((column) => Number(row[column])));
      expect((results[0] ?? []).map((row) => [row.metric, Number(row.value)])).toEqual([
        ['acme', 47_000],
        ['acme 365-day peak', 47_000],
        ['acme breach (refused)', 50_000],
        ['all clients', 47_000],
      ]);
      const underLicense = await queryRows<Record<string, unknown>>(database.db, sql.raw(expandMacros(sqlPanels[0]?.targets[0]?.rawSql ?? '', '60000')));
      expect(underLicense.map((row) => [row.metric, Number(row.value)])).toContainEqual(['shared license', 60_000]);
      expect((results[1] ?? []).map((row) => [row.client, Number(row.counted), Number(row.limit), row.run])).toEqual([['acme', 50_000, 48_500, breachRun]]);
      expect(numbers(results[2], ['success', 'error', 'unfinished'])).toEqual([[1, 2, 0]]);
      expect(numbers(results[3], ['failure rate'])).toEqual([[2 / 3]]);
      for (const rows of [results[0], results[2], results[3]]) expect(rows?.[0]).toHaveProperty('time');
    } finally {
      await database.drop();
    }
  });
});
