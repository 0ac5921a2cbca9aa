import type { Command } from 'commander';
import { backfill, checkBackfill, type BackfillEvent } from '../../flow/backfill.js';
import { formatCount } from '../../format.js';
import { InputError } from '../../errors.js';
import { isIsoDate } from '../../insight/calendar.js';
import type { CliContext, CommandRegistrar } from '../context.js';
import { EXIT, ExitCode } from '../exit.js';
import { parseDuration } from './options.js';

interface BackfillOptions {
  client: string;
  from: string;
  to: string;
  force?: boolean;
  timeout: string;
  json?: boolean;
}

export const registerBackfillCommand: CommandRegistrar = (program: Command, cli: CliContext) => {
  program
    .command('backfill')
    .description('count every business date of a client that has no figure (one run per date; exit 1 if any date failed)')
    .requiredOption('--client <name>', 'the client to backfill')
    .requiredOption('--from <YYYY-MM-DD>', 'first business date')
    .requiredOption('--to <YYYY-MM-DD>', 'last business date')
    .option('--force', 'count dates that already have a figure again')
    .option('--timeout <duration>', 'how long to wait for each date', '10m')
    .option('--json', 'print one JSON line per date, then one with the summary')
    .action(async (options: BackfillOptions) => {
      for (const [flag, value] of [['--from', options.from], ['--to', options.to]] as const) {
        if (!isIsoDate(value)) throw new InputError(`${flag} ${value} is not a date`, [{ path: flag, message: 'use YYYY-MM-DD' }]);
      }
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      const config = cli.loadConfig();
      const request = { client: options.client, from: options.from, to: options.to, force: Boolean(options.force), timeoutMs };
      // Checked before connecting: a source that cannot count past dates is a config answer, not an outage.
      checkBackfill({ config }, request);
      await cli.withApp({}, async (app) => {
        const summary = await backfill({ config: app.config, producer: app.producer, runs: app.runs }, request, (event) =>
          cli.io.stdout(options.json ? JSON.stringify(event) : progressLine(event)),
        );
        cli.io.stdout(
          options.json
            ? JSON.stringify({ summary })
            : `backfill ${summary.client} ${summary.from}..${summary.to}: ${summary.dates} date(s), ${summary.filled} filled, ${summary.skipped} skipped (already had a figure), ${summary.failed} failed`,
        );
        if (summary.failed > 0) throw new ExitCode(EXIT.runFailed);
      });
    });
};

function progressLine(event: BackfillEvent): string {
  switch (event.outcome) {
    case 'skipped':
      return `  ${event.date}  skipped: ${event.reason}`;
    case 'queued':
      return `  ${event.date}  queued run ${event.run}${event.again ? ' (queued before: same run)' : ''}`;
    case 'filled':
      return `  ${event.date}  filled: ${event.total === null ? 'no figure' : formatCount(event.total)} (run ${event.run})`;
    case 'failed':
      return `  ${event.date}  FAILED: ${event.reason}${event.run ? ` (run ${event.run})` : ''}`;
  }
}
