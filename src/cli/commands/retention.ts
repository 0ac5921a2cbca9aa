import type { Command } from 'commander';
import { dataDirLayout } from '../../config/data-dir.js';
import { durationMs } from '../../config/schema.js';
import { InputError } from '../../errors.js';
import { formatCount } from '../../format.js';
import { openDatabase, type DatabaseHandle } from '../../persistence/db.js';
import { purgeRuns, restoreArchive } from '../../retention/archive.js';
import type { CliContext, CommandRegistrar } from '../context.js';
import { toJson } from '../output.js';

interface PurgeOptions {
  olderThan: string;
  archiveDir?: string;
  archive: boolean;
  dryRun?: boolean;
  json?: boolean;
}

async function withDatabase<T>(cli: CliContext, action: (database: DatabaseHandle, dataDir: string) => Promise<T>): Promise<T> {
  const config = cli.loadConfig();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await database.migrate();
    return await action(database, config.dataDir);
  } finally {
    await database.close();
  }
}

export const registerRetentionCommands: CommandRegistrar = (program: Command, cli: CliContext) => {
  program
    .command('purge')
    .description('archive then delete finished runs older than a cut-off (unfinished runs are kept)')
    .requiredOption('--older-than <age>', 'e.g. 90d, 12h')
    .option('--archive-dir <dir>', 'where the gzipped NDJSON archive goes (default: <data dir>/archive)')
    .option('--no-archive', 'delete without writing an archive')
    .option('--dry-run', 'only count what would be purged')
    .option('--json', 'machine-readable result')
    .action(async (options: PurgeOptions) => {
      const age = durationMs.safeParse(options.olderThan);
      if (!age.success) throw new InputError(`invalid --older-than ${options.olderThan}`, [{ path: '--older-than', message: 'use a duration such as 90d or 12h' }]);
      const olderThan = new Date(Date.now() - age.data);
      const result = await withDatabase(cli, (database, dataDir) =>
        purgeRuns(database.db, {
          olderThan,
          archiveDir: options.archive ? (options.archiveDir ?? dataDirLayout(dataDir).archive) : undefined,
          dryRun: options.dryRun ?? false,
          onProgress: ({ phase, done, total }) => {
            if (!options.json && (done % 10_000 === 0 || done === total)) cli.io.stderr(`  ${phase === 'archiving' ? 'archived' : 'deleted'} ${formatCount(done)} of ${formatCount(total)} runs`);
          },
        }),
      );
      if (options.json) {
        cli.io.stdout(toJson({ olderThan, ...result }));
        return;
      }
      if (options.dryRun) {
        cli.io.stdout(`${formatCount(result.candidates)} finished runs created before ${olderThan.toISOString()} would be purged`);
        return;
      }
      cli.io.stdout(`purged ${formatCount(result.deleted)} runs created before ${olderThan.toISOString()}`);
      if (result.archiveFile) cli.io.stdout(`archive (${formatCount(result.archived)} runs, verified): ${result.archiveFile}`);
    });

  program
    .command('archive')
    .description('archives written by purge')
    .command('restore <file>')
    .description('load an archive back (runs that exist already are skipped)')
    .action(async (file: string) => {
      const result = await withDatabase(cli, (database) => restoreArchive(database.db, file));
      cli.io.stdout(`restored ${formatCount(result.restored)} runs, skipped ${formatCount(result.skipped)} already present`);
    });
};
