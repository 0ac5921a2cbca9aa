import type { Command } from 'commander';
import { calendarDate } from '../../config/schema.js';
import { InputError } from '../../errors.js';
import { formatCount } from '../../format.js';
import { metricTable } from '../../metrics/table.js';
import { statusName } from '../../persistence/runs-repository.js';
import { RUN_STATUS_NAMES, type RunStatusName, type SourceCount } from '../../persistence/schema.js';
import { toShortId } from '../../runs/names.js';
import type { CliContext, CommandRegistrar } from '../context.js';
import { formatTime, renderTable, toJson } from '../output.js';
import { parseDuration, parsePositiveInt } from './options.js';

interface ListOptions {
  status?: string;
  client?: string;
  since?: string;
  limit: string;
  json?: boolean;
}

export const registerRunsCommands: CommandRegistrar = (program: Command, cli: CliContext) => {
  const runs = program.command('runs').description('look at runs');

  runs
    .command('list')
    .description('newest runs first')
    .option('--status <status>', `only these statuses, comma-separated (${RUN_STATUS_NAMES.join(', ')})`)
    .option('--client <name>', 'only this client')
    .option('--since <when>', 'created since a date (YYYY-MM-DD) or a duration ago (24h, 7d)')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'print JSON')
    .action(async (options: ListOptions) => {
      const filters = {
        status: parseStatuses(options.status),
        client: options.client,
        since: options.since ? parseSince(options.since) : undefined,
      };
      const limit = Math.min(parsePositiveInt(options.limit, '--limit'), 1000);
      await cli.withApp({}, async (app) => {
        const page = await app.runs.listRuns(filters, { limit });
        if (options.json) {
          cli.io.stdout(toJson(page.rows.map((row) => ({ ...row, id: toShortId(row.name, row.client), status: statusName(row.status), runId: row.id }))));
          return;
        }
        if (page.rows.length === 0) {
          cli.io.stdout('no runs match');
          return;
        }
        cli.io.stdout(
          renderTable(
            ['NAME', 'ID', 'CLIENT', 'STATUS', 'TOTAL', 'TRIGGER', 'CREATED (UTC)', 'MESSAGE'],
            page.rows.map((row) => [
              row.name,
              toShortId(row.name, row.client),
              row.client,
              statusName(row.status),
              row.total === null ? '-' : `${formatCount(row.total)}/${formatCount(row.limit ?? 0)}`,
              row.trigger,
              formatTime(row.createdAt),
              (row.message ?? '').slice(0, 60),
            ]),
          ),
        );
      });
    });

  runs
    .command('show <run>')
    .description('one run with its counts and log (name or short id)')
    .option('--json', 'print JSON')
    .action(async (reference: string, options: { json?: boolean }) => {
      await cli.withApp({}, async (app) => {
        const run = await app.producer.findRun(reference);
        const detail = await app.runs.getDetail(run.name);
        if (!detail) return;
        if (options.json) {
          cli.io.stdout(toJson({ ...detail, id: toShortId(run.name, run.client), status: statusName(run.status) }));
          return;
        }
        const { io } = cli;
        io.stdout(`run ${run.name} (${toShortId(run.name, run.client)})  ${statusName(run.status).toUpperCase()}`);
        io.stdout(`  job ${run.job}, client ${run.client}, business date ${run.businessDate}, trigger ${run.trigger}`);
        if (run.retriedFrom) io.stdout(`  retry #${run.retryCount} of ${run.retriedFrom}`);
        for (const retry of detail.retries) io.stdout(`  retried as ${retry.name} (${statusName(retry.status)})`);
        io.stdout(`  created ${formatTime(run.createdAt)}, started ${formatTime(run.startedAt)}, finished ${formatTime(run.finishedAt)}`);
        if (detail.counts.length > 0) {
          io.stdout('');
          io.stdout(renderTable(['SOURCE', 'COUNT', 'FETCH'], detail.counts.map((count) => [count.source, formatCount(count.count), `${count.durationMs} ms`])));
        }
        const breakdownLines = detail.counts.flatMap(breakdownOf);
        if (breakdownLines.length > 0) io.stdout(['', 'breakdown:', ...breakdownLines].join('\n'));
        const sources = detail.counts.map((count) => count.source);
        const metrics = metricTable(detail.metrics, sources);
        if (metrics.length > 0) {
          io.stdout('\nmetrics:');
          io.stdout(renderTable(['METRIC', 'RULE', 'RUN', ...sources], metrics.map((row) => [row.metric, row.rule ?? '-', row.run ?? '-', ...row.bySource.map((value) => value ?? '-')])));
        }
        if (detail.total) io.stdout(`\n  total ${formatCount(detail.total.total)} of limit ${formatCount(detail.total.limit)}`);
        io.stdout('\nlog:');
        for (const line of detail.details) io.stdout(`  ${formatTime(line.createdAt)}  ${line.level.padEnd(5)}  ${line.message}`);
      });
    });
};

/** The biggest entries of a breakdown dimension; the rest are summed up as "+N more". */
const BREAKDOWN_ENTRIES = 8;

function breakdownOf(count: SourceCount): string[] {
  const dimensions = [
    ['by status', count.breakdown?.byStatus],
    ['by application', count.breakdown?.byApplication],
  ] as const;
  const lines = dimensions.flatMap(([title, values]) => {
    const entries = Object.entries(values ?? {}).sort((left, right) => right[1] - left[1]);
    if (entries.length === 0) return [];
    const shown = entries.slice(0, BREAKDOWN_ENTRIES).map(([key, value]) => `${key} ${formatCount(value)}`);
    if (entries.length > BREAKDOWN_ENTRIES) shown.push(`+${entries.length - BREAKDOWN_ENTRIES} more`);
    return [`${title.padEnd(15)} ${shown.join(', ')}`];
  });
  return lines.map((line, index) => `  ${(index === 0 ? count.source : '').padEnd(12)} ${line}`);
}

function parseStatuses(value: string | undefined): RunStatusName[] | undefined {
  if (!value) return undefined;
  const statuses = value.split(',').map((status) => status.trim());
  const unknown = statuses.filter((status) => !(RUN_STATUS_NAMES as string[]).includes(status));
  if (unknown.length > 0) throw new InputError(`unknown status ${unknown.join(', ')}`, [{ path: '--status', message: `use ${RUN_STATUS_NAMES.join(', ')}` }]);
  return statuses as RunStatusName[];
}

const SINCE_ACCEPTS = 'use a date (YYYY-MM-DD) or how long ago (30m, 24h, 7d)';

function parseSince(value: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    if (!calendarDate.safeParse(value).success) throw new InputError(`--since ${value} is not a calendar date`, [{ path: '--since', message: SINCE_ACCEPTS }]);
    return new Date(`${value}T00:00:00Z`);
  }
  return new Date(Date.now() - parseDuration(value, '--since', SINCE_ACCEPTS));
}
