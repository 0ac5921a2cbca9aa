import type { Command } from 'commander';
import { scheduleSchema } from '../../config/schema.js';
import { InputError, NotFoundError } from '../../errors.js';
import { formatDuration } from '../../format.js';
import { parseFields } from '../../config/issues.js';
import { QUEUE_NAMES } from '../../queues/names.js';
import { listSchedules, removeSchedule, upsertSchedule } from '../../queues/scheduler.js';
import type { CliContext, CommandRegistrar } from '../context.js';
import { formatTime, renderTable, toJson } from '../output.js';

export const registerScheduleCommands: CommandRegistrar = (program: Command, cli: CliContext) => {
  const schedule = program.command('schedule').description('repeating counts (BullMQ job schedulers)');

  schedule
    .command('list')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await cli.withApp({}, async (app) => {
        const schedules = await listSchedules(app.queueSet.queues[QUEUE_NAMES.schedule]);
        if (options.json) return cli.io.stdout(toJson(schedules));
        if (schedules.length === 0) return cli.io.stdout('no schedules (add one in the config or with `jobtally schedule set`)');
        cli.io.stdout(
          renderTable(
            ['NAME', 'WHEN', 'CLIENT', 'FROM', 'NEXT (UTC)'],
            schedules.map((entry) => [
              entry.name,
              entry.every ? `every ${formatDuration(entry.every)}` : `${entry.cron ?? ''}${entry.tz ? ` (${entry.tz})` : ''}`,
              entry.client,
              entry.origin,
              formatTime(entry.next),
            ]),
          ),
        );
      });
    });

  schedule
    .command('set <name>')
    .description('create or change a schedule (kept until removed; config schedules are synced at start)')
    .option('--every <duration>', 'interval, e.g. 5m')
    .option('--cron <pattern>', 'cron pattern, e.g. "*/5 * * * *"')
    .option('--tz <zone>', 'time zone for --cron, e.g. Europe/Paris')
    .option('--client <name>', 'client the runs are recorded for', 'default')
    .action(async (name: string, options: { every?: string; cron?: string; tz?: string; client: string }) => {
      const parsed = parseFields(scheduleSchema, { name, ...options, ...(options.every && /^\d+$/.test(options.every) ? { every: Number(options.every) } : {}) });
      if (!parsed.success) throw new InputError('invalid schedule', parsed.issues);
      await cli.withApp({}, async (app) => {
        await upsertSchedule(app.queueSet.queues[QUEUE_NAMES.schedule], parsed.data, 'cli');
        cli.io.stdout(`schedule ${name} set`);
      });
    });

  schedule
    .command('remove <name>')
    .action(async (name: string) => {
      await cli.withApp({}, async (app) => {
        const removed = await removeSchedule(app.queueSet.queues[QUEUE_NAMES.schedule], name);
        if (!removed) throw new NotFoundError(`schedule ${name} not found`, { hint: 'see `jobtally schedule list`' });
        cli.io.stdout(`schedule ${name} removed`);
      });
    });
};
