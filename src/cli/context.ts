import type { Command } from 'commander';
import type { Logger } from 'pino';
import { loadConfig, secretValues, type Config } from '../config/load.js';
import { openApp, type AppContext, type OpenAppOptions } from '../lifecycle/app.js';
import { createLogger } from '../telemetry/logger.js';

/** What every command gets: where to print, the environment, and the global flags. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Reads one line per prompt without echo (passwords); undefined when stdin cannot be read. */
  readSecrets?: (prompts: readonly string[]) => Promise<string[]>;
}

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
  pretty?: boolean;
}

export class CliContext {
  constructor(
    readonly io: CliIO,
    private readonly globals: () => GlobalOptions,
  ) {}

  get options(): GlobalOptions {
    return this.globals();
  }

  loadConfig(): Config {
    return loadConfig({ configPath: this.options.config, env: this.io.env, cwd: this.io.cwd });
  }

  /**
   * Commands other than `start` log to stderr at warn level, so stdout carries only their answer
   * (tables or --json) and scripts can parse it.
   */
  createLogger(config: Config, forService = false): Logger {
    const level = this.options.verbose ? 'debug' : forService ? config.log.level : 'warn';
    return createLogger({ level, pretty: this.options.pretty, secrets: secretValues(config), ...(forService ? {} : { destination: process.stderr }) });
  }

  /** Opens the app for one command and always closes it. */
  async withApp<T>(options: Partial<OpenAppOptions>, action: (app: AppContext) => Promise<T>): Promise<T> {
    const config = this.loadConfig();
    const app = await openApp(config, this.createLogger(config), { migrate: false, redisRole: 'producer', ...options });
    try {
      return await action(app);
    } finally {
      await app.close();
    }
  }
}

export type CommandRegistrar = (program: Command, cli: CliContext) => void;
