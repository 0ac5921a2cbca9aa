import { pino, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerSettings {
  level: string;
  /** Human-readable lines instead of JSON; default when stdout is a terminal. */
  pretty?: boolean | undefined;
  /** Where lines go; stdout by default (tests pass a stream to capture them). */
  destination?: NodeJS.WritableStream;
  /**
   * Secret values to blank out of every line, wherever they appear: path-based redaction cannot
   * catch a server that echoes an API key inside an error message.
   */
  secrets?: readonly string[];
}

/** Paths pino blanks out wherever they appear: secrets must never reach a log line. */
export const REDACT_PATHS = [
  'password',
  'apiKey',
  'token',
  'authorization',
  '*.password',
  '*.apiKey',
  '*.token',
  '*.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  '*.headers.authorization',
  'databaseUrl',
  'redisUrl',
];

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  const secrets = (settings.secrets ?? []).filter((secret) => secret.length >= 4);
  if (secrets.length > 0) {
    options.hooks = { streamWrite: (line) => scrubSecrets(line, secrets) };
  }
  const usePretty = settings.pretty ?? Boolean(process.stdout.isTTY);
  if (usePretty) {
    return pino(options, pretty({ colorize: Boolean(process.stdout.isTTY), sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss', ...(settings.destination ? { destination: settings.destination } : {}) }));
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** Replaces each secret value (and its JSON-escaped form) with the redaction marker. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) scrubbed = scrubbed.split(form).join('[redacted]');
  }
  return scrubbed;
}
