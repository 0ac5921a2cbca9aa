import type { Command } from 'commander';
import { describeRedisTarget } from '../../config/redis.js';
import { formatAge, formatCount, formatDuration } from '../../format.js';
import { openDatabase } from '../../persistence/db.js';
import { createSources } from '../../lifecycle/app.js';
import type { CliContext, CommandRegistrar } from '../context.js';
import { toJson } from '../output.js';

export const registerAdminCommands: CommandRegistrar = (program: Command, cli: CliContext) => {
  program
    .command('migrate')
    .description('apply database migrations (start does this too)')
    .action(async () => {
      const config = cli.loadConfig();
      const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
      try {
        const pending = await database.pendingMigrations();
        await database.migrate();
        cli.io.stdout(`database ${database.location}: ${pending === 0 ? 'already up to date' : `applied ${pending} migration(s)`}`);
      } finally {
        await database.close();
      }
    });

  const config = program.command('config').description('configuration');
  config
    .command('check')
    .description('validate the configuration without running anything (exit 2 when invalid)')
    .option('--json', 'print the resolved config as JSON (secrets redacted)')
    .action((options: { json?: boolean }) => {
      const loaded = cli.loadConfig();
      const sources = createSources(loaded);
      if (options.json) {
        cli.io.stdout(toJson(loaded));
        return;
      }
      const { io } = cli;
      io.stdout(`config OK (${loaded.configPath ?? 'no config file: built-in demo sources'})`);
      io.stdout(`  limit ${formatCount(loaded.limit)}, near-limit alert at ${loaded.nearLimitPercent}%, business dates in ${loaded.timezone} from New Day ${loaded.newDayTime}`);
      for (const source of sources.values()) io.stdout(`  source ${source.name}: ${source.describe()}${source.countsPastDates ? '' : ' (counts the current date only: no backfill)'}`);
      if (loaded.license) io.stdout(`  shared license ${formatCount(loaded.license.limit)} units a day: the clients' figures of a date are added up against it`);
      for (const client of loaded.clients) {
        const quota = client.quota === undefined ? '' : ` (its quota of the shared license: ${formatCount(client.quota)})`;
        io.stdout(`  client ${client.name}: a figure counts ${client.sources.join(' + ')}; limit ${formatCount(client.limit)}${quota}, near-limit alert at ${client.nearLimitPercent}%`);
      }
      if (!loaded.clientsDeclared) io.stdout('  (no clients: section, so any client name gets this scope)');
      for (const schedule of loaded.schedules) {
        io.stdout(`  schedule ${schedule.name}: ${schedule.every ? `every ${formatDuration(schedule.every)}` : `${schedule.cron ?? ''} ${schedule.tz ?? ''}`} (client ${schedule.client})`);
      }
      for (const channel of loaded.alerts.channels) io.stdout(`  alert channel ${channel.name}: ${channel.type}, ${channel.events ? channel.events.join(', ') : 'every event'}`);
      if (loaded.alerts.channels.length === 0) io.stdout('  alerts: no channel, so alerts only reach the log');
      const { web } = loaded;
      io.stdout(`  web http://${web.host}:${web.port}, ${web.users.length === 0 ? 'no users: open to this machine only' : `${web.users.length} user(s)`}`);
      io.stdout(`  metric rules: job_executions sum (the license total), ${Object.entries(loaded.metrics.rules).map(([metric, rule]) => `${metric} ${rule}`).join(', ')}`);
      const { retention } = loaded;
      io.stdout(
        retention.enabled
          ? `  retention: finished runs older than ${formatAge(retention.olderThanMs)} purged at "${retention.schedule}" (${retention.tz}), ${retention.archive ? `archived first to ${retention.archiveDir ?? '<data dir>/archive'}` : 'without archive'}`
          : '  retention: off (purge by hand with `jobtally purge`)',
      );
      io.stdout(`  data dir ${loaded.dataDir}`);
      io.stdout(`  database ${loaded.databaseUrl ? 'DATABASE_URL' : 'embedded (PGlite in the data dir)'}, redis ${loaded.redis.target.kind === 'auto' ? '127.0.0.1:6379 or a private redis-server' : describeRedisTarget(loaded.redis)}`);
    });
};
