import type { Command } from 'commander';
import { redactUrl } from '../../config/secret.js';
import { InputError } from '../../errors.js';
import { waitForRunFinished } from '../../flow/wait.js';
import { scheduledRunRequest } from '../../flow/workers.js';
import { formatCount } from '../../format.js';
import { DEFAULT_CLIENT } from '../../jobs/catalog.js';
import { openApp, ROLES, startRoles, type AppContext, type Role } from '../../lifecycle/app.js';
import { installShutdown } from '../../lifecycle/shutdown.js';
import { RUN_STATUS } from '../../persistence/schema.js';
import type { DueTick } from '../../queues/scheduler.js';
import { startMetricsServer } from '../../telemetry/metrics-server.js';
import { startTracing } from '../../telemetry/tracing.js';
import type { CliContext, CommandRegistrar } from '../context.js';

interface StartOptions {
  role: string[];
  runNow?: boolean;
}

/** Optional roles provided by other modules (the web server), registered by the entrypoint. */
export interface RoleStarters {
  web?: (app: AppContext) => Promise<{ url: string; close(): Promise<void> }>;
}

export function registerStartCommandsWith(starters: RoleStarters): CommandRegistrar {
  return (program: Command, cli: CliContext) => {
    program
      .command('start')
      .description('run jobtally: workers, scheduler and web (all by default)')
      .option('--role <role...>', `roles to run: ${[...ROLES, 'all'].join(', ')}`, ['all'])
      .option('--run-now', 'queue a first count as soon as the workers are up')
      .action(async (options: StartOptions) => {
        const roles = parseRoles(options.role, starters);
        const config = cli.loadConfig();
        const logger = cli.createLogger(config, true);
        const tracing = await startTracing({ endpoint: config.otlpEndpoint });
        const app = await openApp(config, logger, { migrate: true, redisRole: 'worker', telemetry: tracing?.telemetry, web: roles.includes('web') });
        let running;
        let web: { url: string; close(): Promise<void> } | undefined;
        let metricsServer: { url: string; close(): Promise<void> } | undefined;
        try {
          running = await startRoles(app, roles);
          if (roles.includes('web') && starters.web) web = await starters.web(app);
          else if (config.metrics.port !== undefined) metricsServer = await startMetricsServer(app, config.metrics.host, config.metrics.port);
        } catch (error) {
          await running?.stop(true);
          await app.close();
          throw error;
        }
        const { stopped } = installShutdown({
          logger,
          graceMs: config.queue.shutdownGraceMs,
          exit: (code) => {
            process.exitCode = code;
            if (code !== 0) process.exit(code);
          },
          stop: async (force) => {
            await web?.close();
            await metricsServer?.close();
            await running.stop(force);
            await app.close();
            await tracing?.shutdown();
          },
        });
        printBanner(cli, app, roles, web?.url);
        if (metricsServer) cli.io.stdout(`  metrics   ${metricsServer.url}/metrics`);
        if (options.runNow) await firstRun(cli, app, running.dueTicks, roles.includes('worker'));
        await stopped;
      });

    program
      .command('demo')
      .description('count once with the built-in demo sources, in this process, and print the result')
      .action(async () => {
        const config = { ...cli.loadConfig(), schedules: [] };
        const logger = cli.createLogger(config);
        const tracing = await startTracing({ endpoint: config.otlpEndpoint });
        const app = await openApp(config, logger, { migrate: true, redisRole: 'worker', telemetry: tracing?.telemetry });
        const running = await startRoles(app, ['worker']);
        try {
          const queued = await app.producer.enqueueRun({ trigger: 'manual' });
          cli.io.stdout(`demo run ${queued.name}: counting ${queued.sources.join(' and ')}...`);
          const run = await waitForRunFinished(app.runs, queued.name, { timeoutMs: 60_000 });
          const detail = await app.runs.getDetail(run.name);
          for (const line of detail?.details ?? []) cli.io.stdout(`  ${line.message}`);
          cli.io.stdout(`data lives in ${app.database.location}`);
        } finally {
          await running.stop();
          await app.close();
        }
      });
  };
}

function parseRoles(requested: string[], starters: RoleStarters): Role[] {
  const names = requested.flatMap((role) => role.split(',')).map((role) => role.trim());
  const available: Role[] = ROLES.filter((role) => role !== 'web' || starters.web !== undefined);
  if (names.includes('all')) return available;
  const unknown = names.filter((name) => !(available as string[]).includes(name));
  if (unknown.length > 0) throw new InputError(`unknown role ${unknown.join(', ')}`, [{ path: '--role', message: `use ${[...available, 'all'].join(', ')}` }]);
  return names as Role[];
}

function printBanner(cli: CliContext, app: AppContext, roles: Role[], webUrl: string | undefined): void {
  const { config, logger } = app;
  const lines = [
    `jobtally is running (${roles.join(', ')})`,
    `  sources   ${config.sources.map((source) => source.name).join(', ')}${config.demo ? ' (built-in demo sources: add jobtally.config.yaml for real ones)' : ''}`,
    `  limit     ${formatCount(config.limit)}`,
    `  schedules ${config.schedules.map((schedule) => schedule.name).join(', ') || 'none'}`,
    `  data      ${app.database.kind === 'pglite' ? `embedded database in ${app.database.location}` : `Postgres ${app.database.location}`}`,
    `  redis     ${app.redis.origin === 'private' ? 'private redis-server at ' : ''}${redactUrl(app.redis.url, 'Redis')}`,
    ...(webUrl ? [`  dashboard ${webUrl}/runs   queues ${webUrl}/admin/queues`] : []),
    '  stop with Ctrl+C',
  ];
  logger.info({ roles, data: app.database.location }, 'started');
  cli.io.stderr(lines.join('\n'));
}

async function firstRun(cli: CliContext, app: AppContext, dueTicks: DueTick[], hasWorker: boolean): Promise<void> {
  // On a first start, a new `every` schedule has just queued its first tick: that run is the first
  // count, rather than a second one in the same second.
  const due = dueTicks.find((tick) => tick.client === DEFAULT_CLIENT);
  const queued = await app.producer.enqueueRun(due ? scheduledRunRequest(due) : { trigger: 'manual' });
  cli.io.stderr(`first count queued: run ${queued.name}${due ? ` (the first tick of schedule ${due.schedule})` : ''}`);
  if (!hasWorker) return;
  waitForRunFinished(app.runs, queued.name, { timeoutMs: 120_000 })
    .then((run) => {
      const outcome = run.status === RUN_STATUS.success ? 'succeeded' : 'failed';
      cli.io.stderr(`first count ${outcome}: ${run.message ?? ''} (details: npx jobtally runs show ${run.name})`);
    })
    .catch((error: unknown) => app.logger.warn({ err: error }, 'first count did not finish'));
}
