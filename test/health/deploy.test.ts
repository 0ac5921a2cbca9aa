import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
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
    const { stdout } = await promisify(execFile)('/usr/bin/promtool', ['check', 'rules', RULES]);
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
