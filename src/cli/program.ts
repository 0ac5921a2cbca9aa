import { Command, CommanderError } from 'commander';
import { ConfigError, InputError, isJobtallyError, NotFoundError, type JobtallyError } from '../errors.js';
import { CliContext, type CliIO, type CommandRegistrar, type GlobalOptions } from './context.js';
import { EXIT, ExitCode } from './exit.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerBackfillCommand } from './commands/backfill.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerRunCommands } from './commands/run.js';
import { registerRetentionCommands } from './commands/retention.js';
import { registerRunsCommands } from './commands/runs.js';
import { registerScheduleCommands } from './commands/schedule.js';
import { registerStartCommandsWith, type RoleStarters } from './commands/start.js';

export type { CommandRegistrar };


export interface ProgramOptions {
  /** Roles that live outside the core (the web server) and commands they bring. */
  starters?: RoleStarters;
  extraCommands?: CommandRegistrar[];
}

export function buildProgram(io: CliIO, options: ProgramOptions = {}): Command {
  const program = new Command('jobtally');
  const cli = new CliContext(io, () => program.opts<GlobalOptions>());
  program
    .description('Counts scheduler job executions against a license limit.')
    .option('-c, --config <path>', 'config file (default: ./jobtally.config.yaml or $JOBTALLY_CONFIG)')
    .option('--verbose', 'debug logs and stack traces')
    .option('--pretty', 'human-readable logs')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text.trimEnd()), writeErr: (text) => io.stderr(text.trimEnd()) });
  const registrars = [
    registerRunCommands,
    registerBackfillCommand,
    registerRunsCommands,
    registerScheduleCommands,
    registerAdminCommands,
    registerDoctorCommand,
    registerRetentionCommands,
    registerStartCommandsWith(options.starters ?? {}),
    ...(options.extraCommands ?? []),
  ];
  for (const register of registrars) register(program, cli);
  for (const command of program.commands) applyExitOverride(command);
  return program;
}

function applyExitOverride(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) applyExitOverride(sub);
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: string[], io: CliIO, options: ProgramOptions = {}): Promise<number> {
  const program = buildProgram(io, options);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ExitCode) return error.code;
    if (error instanceof CommanderError) {
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.badInput;
    }
    const verbose = Boolean(program.opts<GlobalOptions>().verbose);
    io.stderr(`error: ${describe(error)}`);
    if (verbose && error instanceof Error && error.stack) io.stderr(error.stack);
    return exitCodeFor(error);
  }
}

function describe(error: unknown): string {
  if (isJobtallyError(error)) return error.describe();
  if (!(error instanceof Error)) return String(error);
  // A library error often wraps the one that says what happened (drizzle's "Failed query: <sql>"
  // around Postgres's "relation ... does not exist"): print the chain.
  const causes: string[] = [];
  for (let cause = error.cause; cause instanceof Error && causes.length < 5; cause = cause.cause) causes.push(`  caused by: ${cause.message}`);
  return [error.message, ...causes].join('\n');
}

function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof InputError || error instanceof NotFoundError) return EXIT.badInput;
  if (isJobtallyError(error)) return codeForJobtallyError(error);
  return EXIT.runFailed;
}

function codeForJobtallyError(error: JobtallyError): number {
  switch (error.code) {
    case 'SERVICE_UNAVAILABLE':
      return EXIT.unavailable;
    case 'CONFLICT':
    case 'SECRET_UNRESOLVED':
      return EXIT.badInput;
    default:
      return EXIT.runFailed;
  }
}
