import type { Command } from 'commander';
import { waitForRunFinished } from '../../flow/wait.js';
import { formatCount } from '../../format.js';
import type { AppContext } from '../../lifecycle/app.js';
import { RUN_STATUS } from '../../persistence/schema.js';
import { QUEUE_NAMES } from '../../queues/names.js';
import { toShortId } from '../../runs/names.js';
import type { CliContext, CommandRegistrar } from '../context.js';
import { toJson } from '../output.js';
import { EXIT, ExitCode } from '../exit.js';
import { parseDuration } from './options.js';

interface RunOptions {
  client?: string;
  date?: string;
  source?: string[];
  wait?: boolean;
  timeout: string;
  json?: boolean;
}

/**
 * A run queued with no worker listening waits in Redis: say so at once, rather than let `--wait`
 * sit out its whole timeout. A Redis that refuses CLIENT LIST (some managed ones) cannot tell,
 * and then nothing is said.
 */
async function warnWithoutWorkers(cli: CliContext, app: AppContext): Promise<void> {
  const workers = await app.queueSet.queues[QUEUE_NAMES.fetch].getWorkersCount().catch((error: unknown) => {
    app.logger.debug({ err: error }, 'could not count the workers');
    return undefined;
  });
  if (workers !== 0) return;
  cli.io.stderr(`warning: no worker is running for queue prefix ${app.config.queue.prefix}: the run waits until one starts (\`jobtally start --role worker\`)`);
}

export const registerRunCommands: CommandRegistrar = (program: Command, cli: CliContext) => {
  program
    .command('run')
    .description('queue a count now (needs a running worker unless --wait is used with `start`)')
    .option('--client <name>', 'client to record the run for (default: the only client, or `client` of the config)')
    .option('--date <YYYY-MM-DD>', 'business date: a Control-M order date (default: the current one, from New Day in the configured time zone)')
    .option('--source <name...>', 'only these sources (default: all configured)')
    .option('--wait', 'wait for the result and print it; exit 1 if the run failed')
    .option('--timeout <duration>', 'how long --wait waits', '2m')
    .option('--json', 'print JSON')
    .action(async (options: RunOptions) => {
      const parameters = { ...(options.client ? { client: options.client } : {}), ...(options.date ? { date: options.date } : {}), ...(options.source ? { sources: options.source } : {}) };
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      await cli.withApp({}, async (app) => {
        const queued = await app.producer.enqueueRun({ trigger: 'manual', parameters });
        await report(cli, app, queued.name, { ...options, timeoutMs });
      });
    });

  program
    .command('retry <run>')
    .description('run a failed run again, as a new run linked to it (name or short id)')
    .option('--wait', 'wait for the result and print it; exit 1 if the run failed')
    .option('--timeout <duration>', 'how long --wait waits', '2m')
    .option('--json', 'print JSON')
    .action(async (reference: string, options: Omit<RunOptions, 'client' | 'date' | 'source'>) => {
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      await cli.withApp({}, async (app) => {
        const queued = await app.producer.retryRun(reference);
        await report(cli, app, queued.name, { ...options, timeoutMs });
      });
    });
};

async function report(cli: CliContext, app: AppContext, name: string, options: { wait?: boolean; json?: boolean; timeoutMs: number }): Promise<void> {
  const { io } = cli;
  await warnWithoutWorkers(cli, app);
  if (!options.wait) {
    const run = await app.runs.findByName(name);
    if (options.json) io.stdout(toJson({ name, id: toShortId(name, run?.client), status: 'pending' }));
    else io.stdout(`queued run ${name} (${toShortId(name, run?.client)}); follow it with: jobtally runs show ${name}`);
    return;
  }
  if (!options.json) io.stdout(`run ${name} queued, waiting for the result...`);
  await waitForRunFinished(app.runs, name, { timeoutMs: options.timeoutMs });
  const detail = await app.runs.getDetail(name);
  if (!detail) throw new Error(`run ${name} disappeared`);
  const succeeded = detail.run.status === RUN_STATUS.success;
  if (options.json) {
    io.stdout(
      toJson({
        name,
        id: toShortId(name, detail.run.client),
        status: succeeded ? 'success' : 'error',
        counts: Object.fromEntries(detail.counts.map((count) => [count.source, count.count])),
        total: detail.total?.total ?? null,
        limit: detail.total?.limit ?? app.config.limit,
        message: detail.run.message,
      }),
    );
  } else {
    for (const count of detail.counts) io.stdout(`  ${count.source.padEnd(12)} ${formatCount(count.count).padStart(10)}  (${count.durationMs} ms)`);
    if (detail.total) io.stdout(`  ${'total'.padEnd(12)} ${formatCount(detail.total.total).padStart(10)}  of limit ${formatCount(detail.total.limit)}`);
    io.stdout(succeeded ? `success: ${detail.run.message ?? ''}` : `failed: ${detail.run.message ?? 'unknown error'}`);
  }
  if (!succeeded) throw new ExitCode(EXIT.runFailed);
}
