import { spawn } from 'node:child_process';
import type { CommandSourceConfig } from '../config/load.js';
import { MissingCountError, SourceTimeoutError, SourceUnavailableError } from '../errors.js';
import type { CountSource, FetchContext, SourceFetchResult } from './types.js';

/** More output than any count needs: beyond it the program is not answering the question. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

interface CommandOutcome {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A program that prints the count (a CLI of the scheduler, a script). Run without a shell, in its
 * own process group so a timeout kills everything it started, not only the direct child.
 */
export class CommandSource implements CountSource {
  readonly type = 'command';
  readonly countsPastDates = false;
  readonly name: string;

  constructor(private readonly config: CommandSourceConfig) {
    this.name = config.name;
  }

  describe(): string {
    return `command ${this.config.command.join(' ')}`;
  }

  async fetchCount(context: FetchContext): Promise<SourceFetchResult> {
    const outcome = await this.run(context.signal);
    if (outcome.exitCode !== 0) {
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
      throw new SourceUnavailableError(this.name, `${this.config.command[0]} ${how}${outcome.stderr ? `: ${excerpt(outcome.stderr)}` : ''}`, {
        transient: false,
        hint: 'run the command by hand on the worker host to see why',
      });
    }
    return { count: parseCountOutput(this.name, outcome.stdout) };
  }

  private run(signal: AbortSignal): Promise<CommandOutcome> {
    const [program, ...args] = this.config.command as [string, ...string[]];
    const secretEnv = Object.fromEntries(Object.entries(this.config.secretEnv).map(([key, secret]) => [key, secret.reveal()]));
    return new Promise((resolve, reject) => {
      const child = spawn(program, args, {
        cwd: this.config.cwd,
        env: { ...this.config.env, ...secretEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let size = 0;
      let failure: Error | undefined;
      const killGroup = (reason: Error) => {
        failure ??= reason;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is already gone: nothing left to kill.
        }
      };
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_OUTPUT_BYTES) killGroup(new MissingCountError(this.name, `the command printed more than ${MAX_OUTPUT_BYTES / 1024} KB`));
        else into.push(chunk);
      };
      child.stdout.on('data', collect(stdout));
      child.stderr.on('data', collect(stderr));
      const timer = setTimeout(() => {
        killGroup(new SourceTimeoutError(this.name, `the command did not finish within ${this.config.timeoutMs} ms and was killed`, { hint: 'raise timeoutMs or make the command faster' }));
      }, this.config.timeoutMs);
      const onAbort = () => killGroup(new SourceUnavailableError(this.name, 'command cancelled (worker shutting down)'));
      signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error) => {
        failure ??= new SourceUnavailableError(this.name, `cannot start ${program}: ${error.message}`, { transient: false, hint: 'check the command path on the worker host', cause: error });
      });
      child.on('close', (exitCode, exitSignal) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (failure) reject(failure);
        else resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode, signal: exitSignal });
      });
    });
  }
}

/** The whole output, trimmed, must be one whole number: anything else is not a count. */
export function parseCountOutput(source: string, stdout: string): number {
  const text = stdout.trim();
  if (!/^\d+$/.test(text)) {
    throw new MissingCountError(source, text ? `the command printed "${excerpt(text)}", expected one whole number` : 'the command printed nothing');
  }
  const count = Number(text);
  if (!Number.isSafeInteger(count)) throw new MissingCountError(source, `the command printed a count too large to count exactly (${text})`);
  return count;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 80)}...` : flat;
}
