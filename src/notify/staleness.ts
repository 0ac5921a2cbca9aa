import type { Logger } from 'pino';
import type { RunsRepository } from '../persistence/runs-repository.js';
import { startPeriodic } from '../lifecycle/periodic.js';
import { businessDateOf } from '../runs/names.js';
import type { AlertSink } from './events.js';

export interface StalenessDeps {
  runs: RunsRepository;
  alerts: AlertSink;
  logger: Logger;
  staleAfterMs: number;
  timezone: string;
  newDayTime: string;
  now?: () => Date;
}

/**
 * Alerts for each client whose latest successful count is older than `staleAfterMs`. A client that
 * never succeeded counts as stale once the checker itself has been up that long, so a fresh
 * install is not reported before its first run had a chance.
 */
export async function checkStaleness(deps: StalenessDeps, checkerStartedAt: Date): Promise<string[]> {
  const now = deps.now?.() ?? new Date();
  const latest = new Map((await deps.runs.latestTotalPerClient()).map((row) => [row.client, row.createdAt]));
  const stale: string[] = [];
  for (const client of await deps.runs.clientsWithRuns()) {
    const lastSuccess = latest.get(client);
    const since = lastSuccess ?? checkerStartedAt;
    const staleForMs = now.getTime() - since.getTime();
    if (staleForMs <= deps.staleAfterMs) continue;
    stale.push(client);
    await deps.alerts.send({ kind: 'stale', client, businessDate: businessDateOf(now, deps.timezone, deps.newDayTime), lastSuccessAt: lastSuccess?.toISOString() ?? null, staleForMs });
  }
  return stale;
}

export function startStalenessCheck(deps: StalenessDeps, intervalMs: number): { stop(): void } {
  const startedAt = deps.now?.() ?? new Date();
  return startPeriodic(() => checkStaleness(deps, startedAt), intervalMs, deps.logger, 'staleness check');
}
