import { existsSync, readFileSync } from 'node:fs';
import envPaths from 'env-paths';
import { parse as parseYaml } from 'yaml';
import { ConfigError, SecretError, type FieldIssue } from '../errors.js';
import { resolveClients, type ClientConfig } from './clients.js';
import { parseFields } from './issues.js';
import { configFileCandidates, explicitConfigPath, resolveDataDir } from './data-dir.js';
import { resolveRedisConfig, type RedisConfig } from './redis.js';
import { configFileSchema, type ConfigFile, type SourceConfigFile } from './schema.js';
import { resolveSecret, Secret, SecretReference, type SecretEnvironment } from './secret.js';

export const CONFIG_FILE_NAMES = ['jobtally.config.yaml', 'jobtally.config.yml', 'jobtally.config.json'];

export type ResolveSecrets<T> = T extends SecretReference ? Secret : T extends readonly (infer U)[] ? ResolveSecrets<U>[] : T extends object ? { [K in keyof T]: ResolveSecrets<T[K]> } : T;

export type SourceConfig = ResolveSecrets<SourceConfigFile>;
export type ControlmSourceConfig = Extract<SourceConfig, { type: 'controlm' }>;
export type HttpJsonSourceConfig = Extract<SourceConfig, { type: 'http-json' }>;
export type StaticSourceConfig = Extract<SourceConfig, { type: 'static' }>;
export type CommandSourceConfig = Extract<SourceConfig, { type: 'command' }>;
export type SqlSourceConfig = Extract<SourceConfig, { type: 'sql' }>;

type ResolvedConfigFile = ResolveSecrets<ConfigFile>;

/** The scheduled purge, with its defaults resolved. */
export interface RetentionConfig {
  enabled: boolean;
  olderThanMs: number;
  schedule: string;
  tz: string;
  archive: boolean;
  archiveDir: string | undefined;
}

export interface Config extends Omit<ResolvedConfigFile, 'sources' | 'dataDir' | 'retention' | 'clients' | 'redis'> {
  sources: SourceConfig[];
  /** Every client with its scope and limit (one, `client`, when the file names none). */
  clients: ClientConfig[];
  /** Whether the file names its clients: only then is a run for another client refused. */
  clientsDeclared: boolean;
  retention: RetentionConfig;
  dataDir: string;
  databaseUrl: Secret | undefined;
  /** The `redis:` section, or REDIS_URL. */
  redis: RedisConfig;
  /** OTLP/HTTP collector for traces (OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without it. */
  otlpEndpoint: string | undefined;
  /** The file the config came from; undefined when running on built-in demo sources. */
  configPath: string | undefined;
  demo: boolean;
}

export interface LoadConfigOptions {
  /** `--config PATH`; wins over `JOBTALLY_CONFIG` and the working directory. */
  configPath?: string | undefined;
  env?: Record<string, string | undefined>;
  cwd?: string;
  readFile?: (filePath: string) => string;
}

/** Demo sources, used when the config has none, so `npm start` shows counting at once. */
const DEMO_SOURCES = {
  sources: [
    { name: 'SPA', type: 'static', random: { min: 15_000, max: 24_000 }, delayMs: 150, description: 'demo: random count' },
    { name: 'UPCTM', type: 'static', random: { min: 12_000, max: 22_000 }, delayMs: 250, description: 'demo: random count' },
  ],
};

/** The config of a first start: no file at all. */
export const NO_FILE_CONFIG = { schedules: [{ name: 'every-5-minutes', every: '5m' }] };

export function findConfigFile(options: LoadConfigOptions): string | undefined {
  const env = options.env ?? {};
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.configPath ?? env.JOBTALLY_CONFIG;
  if (explicit) {
    const resolved = explicitConfigPath(explicit, cwd);
    if (!existsSync(resolved)) {
      throw new ConfigError(`config file ${resolved} does not exist`, [], { hint: 'check --config or JOBTALLY_CONFIG' });
    }
    return resolved;
  }
  return configFileCandidates(CONFIG_FILE_NAMES, cwd).find((candidate) => existsSync(candidate));
}

/** Reads, validates and resolves the configuration. Throws one ConfigError listing every bad field. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? {};
  const configPath = findConfigFile(options);
  const raw = configPath === undefined ? NO_FILE_CONFIG : readConfigFile(configPath, options.readFile);
  return parseConfig(raw, { env, configPath, ...(options.readFile ? { readFile: options.readFile } : {}) });
}

export function parseConfig(
  raw: unknown,
  options: { env?: Record<string, string | undefined>; configPath?: string | undefined; readFile?: (filePath: string) => string } = {},
): Config {
  const env = options.env ?? {};
  const where = options.configPath ?? 'built-in demo config';
  const parsed = parseFields(configFileSchema, raw ?? {});
  if (!parsed.success) throw new ConfigError(`invalid configuration in ${where}`, parsed.issues);
  const file = parsed.data;
  const demo = file.sources === undefined;
  const fileSources: SourceConfigFile[] = file.sources ?? configFileSchema.parse(DEMO_SOURCES).sources ?? [];

  const secretEnvironment: SecretEnvironment = { env, ...(options.readFile ? { readFile: options.readFile } : {}) };
  const issues: FieldIssue[] = [];
  const resolved = resolveSecrets({ ...file, sources: fileSources }, '', secretEnvironment, issues) as ResolvedConfigFile & { sources: SourceConfig[] };
  if (issues.length > 0) throw new ConfigError(`unresolved secrets in ${where}`, issues);
  // Commands run with a clean environment (no worker secrets leak into them) but find programs
  // the way the worker does.
  const sources = resolved.sources.map((source) => ({
    ...(source.type === 'command' && env.PATH !== undefined && !('PATH' in source.env) ? { ...source, env: { PATH: env.PATH, ...source.env } } : source),
    newDayTime: source.newDayTime ?? file.newDayTime,
  }));

  const clients = resolveClients({
    clients: file.clients,
    defaultClient: file.client,
    limit: file.limit,
    nearLimitPercent: file.nearLimitPercent,
    license: file.license,
    sourceNames: sources.map((source) => source.name),
    schedules: file.schedules,
  });
  if (clients.issues.length > 0) throw new ConfigError(`invalid configuration in ${where}`, clients.issues);

  const logLevel = env.LOG_LEVEL ? parseLogLevel(env.LOG_LEVEL) : file.log.level;
  return {
    ...resolved,
    log: { level: logLevel },
    queue: env.JOBTALLY_QUEUE_PREFIX ? { ...resolved.queue, prefix: env.JOBTALLY_QUEUE_PREFIX } : resolved.queue,
    metrics: {
      ...resolved.metrics,
      ...(env.JOBTALLY_METRICS_HOST ? { host: env.JOBTALLY_METRICS_HOST } : {}),
      ...(env.JOBTALLY_METRICS_PORT ? { port: parsePort(env.JOBTALLY_METRICS_PORT, 'JOBTALLY_METRICS_PORT') } : {}),
    },
    web: {
      ...resolved.web,
      ...(env.JOBTALLY_WEB_HOST ? { host: env.JOBTALLY_WEB_HOST } : {}),
      ...(env.JOBTALLY_WEB_PORT ? { port: parsePort(env.JOBTALLY_WEB_PORT, 'JOBTALLY_WEB_PORT') } : {}),
    },
    sources,
    clients: clients.clients,
    clientsDeclared: clients.declared,
    schedules: clients.schedules,
    retention: resolveRetention(file, where),
    dataDir: resolveDataDir(file.dataDir, env.JOBTALLY_DATA_DIR, defaultDataDir(), process.cwd()),
    databaseUrl: env.DATABASE_URL ? new Secret(env.DATABASE_URL, 'env DATABASE_URL') : undefined,
    redis: resolveRedisConfig(resolved.redis, env.REDIS_URL || undefined, where),
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    configPath: options.configPath,
    demo,
  };
}

const DEFAULT_RETENTION_DAYS = 90;

/** `retention.olderThan`, else the older `runs.retentionDays`, else 90 days; never both. */
function resolveRetention(file: ConfigFile, where: string): RetentionConfig {
  const { olderThan, tz, archiveDir, ...rest } = file.retention;
  if (olderThan !== undefined && file.runs.retentionDays !== undefined) {
    throw new ConfigError(`invalid configuration in ${where}`, [{ path: 'runs.retentionDays', message: 'superseded by retention.olderThan: remove it' }]);
  }
  return { ...rest, olderThanMs: olderThan ?? (file.runs.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400_000, tz: tz ?? file.timezone, archiveDir };
}

export function defaultDataDir(): string {
  return envPaths('jobtally', { suffix: '' }).data;
}

function readConfigFile(configPath: string, readFile?: (filePath: string) => string): unknown {
  let text: string;
  try {
    text = readFile ? readFile(configPath) : readFileSync(configPath, 'utf8');
  } catch (cause) {
    throw new ConfigError(`config file ${configPath} cannot be read`, [], { cause, hint: 'check the path and its permissions' });
  }
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (cause) {
    // The yaml library's first line ends in ':' before a code excerpt that is left out here.
    const detail = cause instanceof Error ? (cause.message.split('\n')[0] ?? '').replace(/:\s*$/, '') : String(cause);
    throw new ConfigError(`config file ${configPath} is not valid YAML or JSON: ${detail}`, [], { cause });
  }
}

function parseLogLevel(level: string): Config['log']['level'] {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
  const found = levels.find((candidate) => candidate === level.toLowerCase());
  if (!found) throw new ConfigError(`LOG_LEVEL=${level} is not a log level`, [{ path: 'LOG_LEVEL', message: `use one of ${levels.join(', ')}` }]);
  return found;
}

/** Replaces every SecretReference in the parsed config by its resolved Secret, collecting failures. */
function resolveSecrets(value: unknown, at: string, environment: SecretEnvironment, issues: FieldIssue[]): unknown {
  if (value instanceof SecretReference) {
    try {
      return resolveSecret(value.ref, environment);
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      issues.push({ path: at, message: error.describe() });
      return new Secret('', 'unresolved');
    }
  }
  if (Array.isArray(value)) return value.map((item, index) => resolveSecrets(item, `${at}[${index}]`, environment, issues));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveSecrets(item, at ? `${at}.${key}` : key, environment, issues)]),
    );
  }
  return value;
}

function parsePort(text: string, variable: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError('invalid environment', [{ path: `env ${variable}`, message: `"${text}" is not a port number` }]);
  }
  return port;
}

/** Every resolved secret value in the config, for scrubbing output. */
export function secretValues(config: Config): string[] {
  const values: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Secret) values.push(value.reveal());
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
  };
  walk(config);
  return values.filter((value) => value !== '').flatMap((value) => [value, ...urlPasswords(value)]);
}

/** A connection URL's password can show on its own (a driver's "password authentication failed for …"). */
function urlPasswords(value: string): string[] {
  if (!URL.canParse(value)) return [];
  const { password } = new URL(value);
  if (password === '') return [];
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // A malformed escape: the raw form is the only one there is.
  }
  return [...new Set([password, decoded])];
}
