import type { Command } from 'commander';
import { readinessChecks, redisSettingsChecks, type HealthCheck } from '../../health/checks.js';
import type { CliContext, CommandRegistrar } from '../context.js';
import { EXIT, ExitCode } from '../exit.js';
import { toJson } from '../output.js';

/** `doctor`: the readiness checks plus the Redis settings BullMQ needs, each with advice. */
export const registerDoctorCommand: CommandRegistrar = (program: Command, cli: CliContext) => {
  program
    .command('doctor')
    .description('check Redis, Postgres, migrations and Redis settings, with advice')
    .option('--json', 'machine-readable checks')
    .action(async (options: { json?: boolean }) => {
      const checks = await cli.withApp({}, async (app) => [
        ...(await readinessChecks({ connection: app.connection, queuePrefix: app.config.queue.prefix, database: app.database })),
        ...(await redisSettingsChecks(app.connection)),
      ]);
      if (options.json) cli.io.stdout(toJson(checks));
      else for (const check of checks) cli.io.stdout(describe(check));
      if (checks.some((check) => !check.ok)) throw new ExitCode(EXIT.runFailed);
    });
};

function describe(check: HealthCheck): string {
  const line = `${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`;
  return check.ok || !check.advice ? line : `${line}\n        → ${check.advice}`;
}
