import type { Queue } from 'bullmq';
import express from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LatestTotal, RunsRepository } from '../persistence/runs-repository.js';
import type { ServerHealth } from '../sources/types.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

export interface MetricsDeps {
  queues: readonly Queue[];
  runs: RunsRepository;
}

/**
 * The process's Prometheus registry. Flow counters are fed by processor hooks; queue depths, the
 * last totals and staleness are read at scrape time, so every role reports the same truth.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #runsFinished: Counter<'status' | 'trigger'>;
  readonly #fetchDuration: Histogram<'source' | 'outcome'>;
  readonly #retentionDeleted: Counter;
  readonly #retentionLastRun: Gauge<'outcome'>;
  readonly #retentionDuration: Gauge;
  readonly #serverUp: Gauge<'source' | 'server'>;
  readonly #serverInfo: Gauge<'source' | 'version'>;
  readonly #answerRows: Gauge<'source'>;

  constructor(deps: MetricsDeps) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges that prom-client names like counters; `promtool check metrics` rightly rejects them.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.#runsFinished = new Counter({ name: 'jobtally_runs_finished_total', help: 'Runs finished, by outcome and trigger.', labelNames: ['status', 'trigger'], registers });
    this.#fetchDuration = new Histogram({
      name: 'jobtally_source_fetch_duration_seconds',
      help: 'Time to fetch one source count, by source and outcome.',
      labelNames: ['source', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#retentionDeleted = new Counter({ name: 'jobtally_retention_runs_deleted_total', help: 'Finished runs deleted by the scheduled retention job.', registers });
    this.#retentionLastRun = new Gauge({
      name: 'jobtally_retention_last_run_timestamp_seconds',
      help: 'When the retention job last finished, by outcome (success or error), in Unix seconds.',
      labelNames: ['outcome'],
      registers,
    });
    this.#retentionDuration = new Gauge({ name: 'jobtally_retention_last_duration_seconds', help: 'How long the last retention job took.', registers });
    this.#serverUp = new Gauge({ name: 'jobtally_controlm_server_up', help: 'Control-M servers by source: 1 when config/servers says Up, as of the last count.', labelNames: ['source', 'server'], registers });
    this.#serverInfo = new Gauge({ name: 'jobtally_controlm_info', help: 'Control-M server versions seen by each source (always 1), as of the last count.', labelNames: ['source', 'version'], registers });
    this.#answerRows = new Gauge({
      name: 'jobtally_controlm_answer_rows',
      help: 'Rows of the largest run/jobs/status answer of the last count, per source: the server caps an answer at 10,000.',
      labelNames: ['source'],
      registers,
    });
    new Gauge({
      name: 'jobtally_queue_jobs',
      help: 'Jobs in each jobtally queue, by state.',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const queue of deps.queues) {
          const counts = await queue.getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
    // The three per-client gauges are collected concurrently; one query per scrape feeds them all.
    let snapshot: { at: number; rows: Promise<LatestTotal[]> } | undefined;
    const latest = () => {
      if (!snapshot || Date.now() - snapshot.at > 1000) snapshot = { at: Date.now(), rows: deps.runs.latestTotalPerClient() };
      return snapshot.rows;
    };
    const perClient = (name: string, help: string, value: (row: LatestTotal) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['client'],
        registers,
        async collect() {
          this.reset();
          for (const row of await latest()) this.set({ client: row.client }, value(row));
        },
      });
    perClient('jobtally_license_units_used', 'License units used: the total of the latest successful run, per client.', (row) => row.total);
    perClient('jobtally_license_limit', 'License limit the latest successful run was checked against, per client.', (row) => row.limit);
    perClient('jobtally_seconds_since_last_success', 'Seconds since the latest successful run, per client.', (row) => Math.max(0, (Date.now() - row.createdAt.getTime()) / 1000));
  }

  readonly onFetch = (source: string, outcome: 'success' | 'error', durationMs: number): void => {
    this.#fetchDuration.observe({ source, outcome }, durationMs / 1000);
  };

  readonly onRunFinished = (outcome: 'success' | 'error', trigger: string): void => {
    this.#runsFinished.inc({ status: outcome, trigger });
  };

  readonly onSourceHealth = (source: string, health: ServerHealth): void => {
    if (health.servers.length > 0) {
      // What the last count said replaces what the one before said: a removed server goes away.
      this.#serverUp.remove({ source });
      this.#serverInfo.remove({ source });
      for (const server of health.servers) {
        this.#serverUp.set({ source, server: server.name }, server.up ? 1 : 0);
        if (server.version) this.#serverInfo.set({ source, version: server.version }, 1);
      }
    }
    if (health.answerRows !== undefined) this.#answerRows.set({ source }, health.answerRows);
  };

  readonly onRetentionFinished = (outcome: 'success' | 'error', deleted: number, durationMs: number): void => {
    this.#retentionDeleted.inc(deleted);
    this.#retentionLastRun.set({ outcome }, Date.now() / 1000);
    this.#retentionDuration.set(durationMs / 1000);
  };

  router(): express.Router {
    const router = express.Router();
    router.get('/metrics', async (_request, response) => {
      response.type(this.registry.contentType).send(await this.registry.metrics());
    });
    return router;
  }
}
