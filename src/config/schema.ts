import { z } from 'zod';
import { CONFIGURABLE_METRICS, DEFAULT_METRIC_RULES, isMetricRule, LICENSE_METRIC, METRIC_RULES, type ConfigurableMetric, type MetricRules } from '../metrics/definitions.js';
import { fieldErrorMap } from './issues.js';
import { SecretReference } from './secret.js';

/** Config file schema. Pure: parsing env and files happens in `load.ts`. */

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `5m`, `30s`, `1500ms`, `2h`, `90d` or a number of milliseconds. */
export const durationMs = z.union([
  z.number().int().positive(),
  z.string().transform((text, ctx) => {
    const match = DURATION_PATTERN.exec(text.trim());
    if (!match?.[1] || !match[2]) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (use 500ms, 30s, 5m, 2h or 90d)` });
      return z.NEVER;
    }
    return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS]);
  }),
]);

/** Titles that mark, in the generated JSON Schema, the inputs a transform hides (see reference.ts). */
export const SECRET_REFERENCE_TITLE = 'SecretReference';
export const CONTROLM_AUTH_TITLE = 'ControlmAuth';

const PLAINTEXT_SECRET_MESSAGE = 'plaintext secrets are not allowed here: use { env: NAME } or { file: PATH }';

/**
 * `{ env: NAME }` or `{ file: PATH }`; a plain string is refused so no secret sits in a config file.
 * Any config field declared with this schema is resolved by `loadConfig`, wherever it is.
 */
export const secretRefSchema = z.unknown().transform((value, ctx): SecretReference => {
  if (typeof value === 'string') {
    ctx.addIssue({ code: 'custom', message: PLAINTEXT_SECRET_MESSAGE });
    return z.NEVER;
  }
  const parsed = z
    .union([z.strictObject({ env: z.string().min(1) }), z.strictObject({ file: z.string().min(1) })])
    .safeParse(value);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: `expected { env: NAME } or { file: PATH }` });
    return z.NEVER;
  }
  return new SecretReference(parsed.data);
}).meta({ title: SECRET_REFERENCE_TITLE });

/** A day that exists (no 2026-02-30, which JavaScript's Date would quietly read as March 2). */
export const calendarDate = z.iso.date({ error: 'use a calendar date as YYYY-MM-DD' });

export const timeZone = z.string().refine(isValidTimeZone, { message: 'unknown time zone (use an IANA name such as Europe/Paris)' });

/** Source names become part of BullMQ job ids and metric labels: keep them plain. */
export const sourceName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, 'use letters, digits, _ or - (start with a letter, at most 40 characters)');

/** `HH:MM`, 24-hour clock: Control-M's New Day, when one order date ends and the next begins. */
export const newDayTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM on a 24-hour clock, e.g. 06:00');

const sourceBase = {
  name: sourceName,
  /** This source's New Day when it differs from the top-level one. */
  newDayTime: newDayTime.optional(),
  timeoutMs: durationMs.default(10_000),
  description: z.string().optional(),
};

const tlsSchema = z.strictObject({
  caFile: z.string().optional(),
  insecure: z.boolean().default(false),
});

const apiKeyAuth = z.strictObject({ apiKey: secretRefSchema });
const loginAuth = z.strictObject({ username: z.string().min(1), password: secretRefSchema });

/** `{ apiKey }` or `{ username, password }`; picked by key so errors point at the exact field. */
const controlmAuth = z.unknown().transform((value, ctx): z.output<typeof apiKeyAuth> | z.output<typeof loginAuth> => {
  const schema = typeof value === 'object' && value !== null && 'apiKey' in value ? apiKeyAuth : loginAuth;
  const parsed = schema.safeParse(value, { error: fieldErrorMap });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return parsed.data;
}).meta({ title: CONTROLM_AUTH_TITLE });

export const controlmSourceSchema = z.strictObject({
  ...sourceBase,
  type: z.literal('controlm'),
  endpoint: z.url(),
  /**
   * `usage`: the server's `usage/jobs` figure (current Control-M day only); `jobs-status`: counts
   * the rows of `run/jobs/status` itself; `usage-report`: Control-M SaaS `usage/report`, per day.
   */
  mode: z.enum(['usage', 'jobs-status', 'usage-report']).default('usage'),
  auth: controlmAuth,
  tls: tlsSchema.optional(),
  /** Extra query parameters for `jobs-status` (ctm, application, folder, ...). */
  query: z.record(z.string(), z.string()).default({}),
  /** Maximum rows asked from `run/jobs/status`: the server answers at most 10,000, a capped answer is an error. */
  pageLimit: z.number().int().positive().max(10_000, 'Control-M answers at most 10,000 rows: split the query with partitions').default(10_000),
  /** `jobs-status` in several requests (each with these extra filters) when one would be capped. */
  partitions: z.array(z.record(z.string(), z.string())).default([]),
  /** What a jobs-status count bills: job rows of the order date (`ordered`) or their runs (`executions`). */
  countAs: z.enum(['ordered', 'executions']).default('ordered'),
  /** jobs-status only: also read `usage/jobs` and alert (`drift`) when the two differ by more than this. */
  reconcile: z.strictObject({ with: z.literal('usage'), maxDriftPercent: z.number().min(0).max(100).default(5) }).optional(),
});

export const httpJsonSourceSchema = z.strictObject({
  ...sourceBase,
  type: z.literal('http-json'),
  url: z.url(),
  /** Dot path to the count: `data.count`, `usage.0.jobExecution`. */
  path: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  secretHeaders: z.record(z.string(), secretRefSchema).default({}),
  tls: tlsSchema.optional(),
});

export const staticSourceSchema = z
  .strictObject({
    ...sourceBase,
    type: z.literal('static'),
    count: z.number().int().nonnegative().optional(),
    random: z
      .strictObject({
        min: z.number().int().nonnegative(),
        max: z.number().int().nonnegative(),
        seed: z.number().int().optional(),
      })
      .refine((range) => range.min <= range.max, { message: 'min must not exceed max' })
      .optional(),
    /** Simulated latency, for demos and tests. */
    delayMs: z.number().int().nonnegative().default(0),
  })
  .refine((source) => (source.count === undefined) !== (source.random === undefined), {
    message: 'set exactly one of count or random',
  });

export const commandSourceSchema = z.strictObject({
  ...sourceBase,
  type: z.literal('command'),
  /** Program and arguments, run without a shell: `[ctmpsm, -LISTALL, -COUNT]`. */
  command: z.array(z.string().min(1)).min(1, 'give the program and its arguments'),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  secretEnv: z.record(z.string(), secretRefSchema).default({}),
});

export const sqlSourceSchema = z.strictObject({
  ...sourceBase,
  type: z.literal('sql'),
  /** A Postgres URL; it usually holds a password, so it is a secret reference. */
  url: secretRefSchema,
  /** One row, one integer column; run in a read-only transaction. */
  query: z.string().min(1),
});

export const sourceSchema = z.discriminatedUnion('type', [
  controlmSourceSchema,
  httpJsonSourceSchema,
  staticSourceSchema,
  commandSourceSchema,
  sqlSourceSchema,
]);

export const scheduleSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and -'),
    every: durationMs.optional(),
    cron: z.string().min(1).optional(),
    tz: timeZone.optional(),
    client: z.string().min(1).default('default'),
  })
  .refine((schedule) => (schedule.every === undefined) !== (schedule.cron === undefined), {
    message: 'set exactly one of every or cron',
  });

/** A client's part of the shared license: `30%` of `license.limit`, or a number of units. */
export const licenseShare = z.union([
  z.number().int().positive(),
  z.string().transform((text, ctx) => {
    const match = /^(\d+(?:\.\d+)?)\s*%$/.exec(text.trim());
    const percent = match?.[1] === undefined ? Number.NaN : Number(match[1]);
    if (!(percent > 0 && percent <= 100)) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a share (use a percent such as 30% or a number of units)` });
      return z.NEVER;
    }
    return { percent };
  }),
]);
export type LicenseShare = z.output<typeof licenseShare>;

/** Client names become part of run ids, idempotency keys and metric labels: kept plain. */
export const clientNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, 'use letters, digits, _ or - (start with a letter, at most 40 characters)');

/**
 * One client: the sources whose counts make its daily figure (all of them, or the figure is not
 * one), the limit each figure is checked against and, under a shared license, its share of it.
 */
export const clientSchema = z.strictObject({
  name: clientNameSchema,
  sources: z.array(sourceName).min(1, 'name the sources this client is counted on'),
  /** Its own limit; with a `share`, the smaller of the two applies. */
  limit: z.number().int().positive().optional(),
  nearLimitPercent: z.number().min(1).max(100).optional(),
  /** A schedule of its own: `{ every: 5m }` or `{ cron, tz }`. */
  schedule: z
    .strictObject({ every: durationMs.optional(), cron: z.string().min(1).optional(), tz: timeZone.optional() })
    .refine((schedule) => (schedule.every === undefined) !== (schedule.cron === undefined), { message: 'set exactly one of every or cron' })
    .optional(),
  share: licenseShare.optional(),
});
export type ClientConfigFile = z.output<typeof clientSchema>;

export const ALERT_KINDS = ['run-failed', 'limit-exceeded', 'license-exceeded', 'near-limit', 'stale', 'anomaly', 'forecast-breach', 'drift'] as const;

const channelBase = {
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'use lowercase letters, digits and -'),
  /** Only these events go to this channel (default: all). */
  events: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
};

export const alertChannelSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...channelBase, type: z.literal('webhook'), url: secretRefSchema, hmacSecret: secretRefSchema.optional() }),
  z.strictObject({ ...channelBase, type: z.literal('teams'), url: secretRefSchema }),
  z.strictObject({ ...channelBase, type: z.literal('slack'), url: secretRefSchema }),
  z.strictObject({
    ...channelBase,
    type: z.literal('email'),
    smtp: z.strictObject({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65_535).default(587),
      secure: z.boolean().default(false),
      user: z.string().optional(),
      password: secretRefSchema.optional(),
    }),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
  }),
]);

export const alertsConfigSchema = z.strictObject({
  channels: z.array(alertChannelSchema).default([]),
  /** The scheduler alerts when no run succeeded for this long (per client with runs). */
  staleAfterMs: durationMs.default(30 * 60_000),
  attempts: z.number().int().positive().max(50).default(8),
  backoffMs: durationMs.default(5000),
});

export const insightConfigSchema = z.strictObject({
  /** After each successful run: its counts against recent runs of the same client at the same hour of day. */
  anomalies: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** The normal band is built from this many latest successful runs at the same hour of day (N). */
      historyRuns: z.number().int().min(1).max(200).default(14),
      /** …found within this many business dates back. */
      lookbackDays: z.number().int().min(1).max(366).default(28),
      /** Half-width of the normal band in MADs: median ± k · MAD. */
      k: z.number().positive().default(5),
      /** Nothing is judged with fewer history runs than this. */
      minHistoryRuns: z.number().int().min(1).default(7),
      /** The MAD used is at least this percentage of the median… */
      madFloorPercent: z.number().min(0).max(100).default(1),
      /** …and at least this many job executions, so a flat history does not alert on +1. */
      madFloorCount: z.number().min(0).default(1),
    })
    .refine((rules) => rules.minHistoryRuns <= rules.historyRuns, { message: 'minHistoryRuns must not exceed historyRuns', path: ['minHistoryRuns'] })
    .prefault({}),
  /** End-of-day projection from the intraday curve of recent days; the scheduler alerts before a breach. */
  forecast: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Earlier business dates whose intraday curve is learned from. */
      historyDays: z.number().int().min(1).max(92).default(14),
      /** How often the scheduler role checks each client's projection. */
      checkEveryMs: durationMs.default(60_000),
      /** Below this median share of the final figure reached by now, the curve is not trusted. */
      minFraction: z.number().min(0.001).max(1).default(0.05),
      /** With no usable curve, the pace so far is extrapolated only after this much of the day. */
      minLinearMs: durationMs.default(2 * 3_600_000),
    })
    .prefault({}),
  /** Applications listed on the insight page. */
  topApplications: z.number().int().min(1).max(100).default(10),
});

export const WEB_ROLES = ['viewer', 'operator'] as const;

export const webUserSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'use letters, digits, . _ @ or - (at most 64)'),
  role: z.enum(WEB_ROLES),
  /** From `jobtally user add`: never the password itself. */
  passwordHash: z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'expected a hash printed by `jobtally user add`'),
});

export const webConfigSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(3000),
  /** How users reach the dashboard (behind a proxy); used in alert links. */
  publicUrl: z.url().optional(),
  users: z.array(webUserSchema).default([]),
  /** Signs CSRF tokens (sessions live in Redis); without it, forms opened before a restart must be reloaded. */
  sessionSecret: secretRefSchema.optional(),
  sessionTtlMs: durationMs.default(12 * 3_600_000),
  /** Failed logins allowed per client address in `loginWindowMs` before it is locked out. */
  maxFailedLogins: z.number().int().positive().default(10),
  loginWindowMs: durationMs.default(15 * 60_000),
  /**
   * Which proxies to believe about the client address (X-Forwarded-For) and scheme: express's
   * `trust proxy` (true, a hop count, addresses or subnets, `loopback`). Off by default, so a client
   * cannot pick the address the login lockout counts against.
   */
  trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1), z.array(z.string().min(1)).min(1)]).default(false),
});

/**
 * `{ failed: sum, fetch_duration_ms: max }`: how each run metric joins across sources. Unnamed
 * metrics keep their default rule; job_executions is the license total and is always summed.
 */
export const metricRulesSchema = z.record(z.string(), z.unknown()).transform((entries, ctx): MetricRules => {
  const rules: MetricRules = { ...DEFAULT_METRIC_RULES };
  const ruleList = `use ${METRIC_RULES.slice(0, -1).join(', ')} or ${METRIC_RULES.at(-1) ?? ''}`;
  for (const [metric, rule] of Object.entries(entries)) {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', path: [metric], message });
    if (metric === LICENSE_METRIC) {
      if (rule !== 'sum') issue(`${LICENSE_METRIC} is the license total and is always summed; remove this rule`);
    } else if (!(CONFIGURABLE_METRICS as string[]).includes(metric)) {
      issue(`unknown metric "${metric}": use ${CONFIGURABLE_METRICS.join(', ')}`);
    } else if (typeof rule !== 'string' || !isMetricRule(rule)) {
      issue(`unknown rule ${JSON.stringify(rule)}: ${ruleList}`);
    } else {
      rules[metric as ConfigurableMetric] = rule;
    }
  }
  return rules;
});

const DAY_MS = 86_400_000;

/**
 * The scheduled purge: finished runs older than `olderThan` are archived (gzipped NDJSON) and
 * deleted, every day at `schedule` (cron, in `tz`, default the business time zone).
 */
export const retentionConfigSchema = z.strictObject({
  /** Off: the scheduler removes the job; `jobtally purge` still works by hand. */
  enabled: z.boolean().default(true),
  /** Default 90d (or `runs.retentionDays`). A bare number is milliseconds, hence the floor. */
  olderThan: durationMs.refine((ms) => ms >= DAY_MS, { message: 'keep at least 1d of runs (a bare number is milliseconds: write 90d)' }).optional(),
  schedule: z.string().min(1).default('0 3 * * *'),
  tz: timeZone.optional(),
  /** Write the archive before deleting (default); false deletes without one. */
  archive: z.boolean().default(true),
  /** Where archives go (default: `<data dir>/archive` of the worker that runs the job). */
  archiveDir: z.string().min(1).optional(),
});

/** Postgres as operations run it; the URL itself is DATABASE_URL. */
export const databaseConfigSchema = z.strictObject({
  /**
   * `transaction`: DATABASE_URL is a pooler in transaction mode (PgBouncer): statements go unnamed,
   * since consecutive ones may reach different backends, and nothing relies on a session.
   */
  pooler: z.enum(['none', 'transaction']).default('none'),
  /** A direct connection (no pooler) for migrations; default DATABASE_URL. */
  migrationUrl: secretRefSchema.optional(),
});

/** `host:port`, as Redis Cluster and Sentinel announce their nodes. */
const redisNode = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'use host:port, e.g. redis-1:6379');

/**
 * Where Redis is, as operations run it: one server (`url`, or REDIS_URL), a Cluster (any of its
 * nodes: the rest are discovered) or Sentinel (the sentinels and the master's name). Passwords are
 * secret references, never part of `url`.
 */
export const redisConfigSchema = z
  .strictObject({
    /** `redis://host:6379/0`, or `rediss://` for TLS. */
    url: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'use redis://host:port[/db] or rediss://host:port[/db]')
      .refine((url) => !/^rediss?:\/\/[^/@]*:[^/@]*@/.test(url), { message: 'no password in url: set redis.password to { env: NAME } or { file: PATH }' })
      .optional(),
    cluster: z.strictObject({ nodes: z.array(redisNode).min(1, 'list at least one cluster node') }).optional(),
    sentinel: z
      .strictObject({
        sentinels: z.array(redisNode).min(1, 'list at least one sentinel'),
        /** The monitored master's name (`sentinel monitor NAME ...`). */
        name: z.string().min(1),
        /** When the sentinels themselves require a password (`requirepass` in sentinel.conf). */
        password: secretRefSchema.optional(),
      })
      .optional(),
    /** TLS to every Redis node (and sentinel); `rediss://` alone uses the system's CAs. */
    tls: z
      .strictObject({
        caFile: z.string().min(1).optional(),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** The name the certificates carry, when nodes are reached by address. */
        servername: z.string().min(1).optional(),
      })
      .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), { message: 'set both certFile and keyFile, or neither' })
      .optional(),
    /** ACL user (Redis 6+). */
    username: secretRefSchema.optional(),
    password: secretRefSchema.optional(),
  })
  .refine((redis) => [redis.url, redis.cluster, redis.sentinel].filter((way) => way !== undefined).length <= 1, {
    message: 'set one of url, cluster or sentinel',
  });

export const configFileSchema = z.strictObject({
  limit: z.number().int().positive().default(48_500),
  nearLimitPercent: z.number().min(1).max(100).default(90),
  /** Business dates are Control-M order dates: days in this zone that start at `newDayTime`. */
  timezone: timeZone.default('UTC'),
  newDayTime: newDayTime.default('00:00'),
  client: z.string().min(1).default('default'),
  /** A license shared by the clients: each one's `share` is its quota, and their figures' sum is checked against `limit`. */
  license: z.strictObject({ limit: z.number().int().positive() }).optional(),
  /** Without it there is one client (`client`, default `default`) counted on every source against `limit`. */
  clients: z
    .array(clientSchema)
    .min(1)
    .superRefine((clients, ctx) => {
      const seen = new Set<string>();
      clients.forEach((client, index) => {
        if (seen.has(client.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate client name ${client.name}` });
        seen.add(client.name);
        const sources = new Set<string>();
        client.sources.forEach((source, at) => {
          if (sources.has(source)) ctx.addIssue({ code: 'custom', path: [index, 'sources', at], message: `source ${source} is listed twice` });
          sources.add(source);
        });
      });
    })
    .optional(),
  sources: z
    .array(sourceSchema)
    .min(1, 'configure at least one source')
    .superRefine((sources, ctx) => {
      const seen = new Set<string>();
      sources.forEach((source, index) => {
        if (seen.has(source.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate source name ${source.name}` });
        seen.add(source.name);
        if (source.type === 'controlm' && source.mode !== 'jobs-status' && source.reconcile) {
          ctx.addIssue({ code: 'custom', path: [index, 'reconcile'], message: 'reconcile checks a jobs-status count against usage/jobs: set mode: jobs-status or remove it' });
        }
      });
    })
    .optional(),
  schedules: z.array(scheduleSchema).default([]),
  queue: z
    .strictObject({
      prefix: z.string().min(1).default('{jobtally}'),
      fetchConcurrency: z.number().int().positive().default(20),
      aggregateConcurrency: z.number().int().positive().default(20),
      attempts: z.number().int().positive().max(50).default(5),
      backoffMs: durationMs.default(1000),
      keepCompleted: z.number().int().nonnegative().default(1000),
      keepFailed: z.number().int().nonnegative().default(5000),
      /** A job whose worker stops renewing its lock for this long is taken over by another worker. */
      lockDurationMs: durationMs.default(30_000),
      stalledIntervalMs: durationMs.default(30_000),
      /** On SIGTERM, how long active jobs get to finish before they are handed back to the queue. */
      shutdownGraceMs: durationMs.default(30_000),
    })
    .prefault({}),
  runs: z
    .strictObject({
      /** A run still pending or processing after this long is marked error by the sweeper. */
      stuckAfterMs: durationMs.default(15 * 60_000),
      /** Superseded by `retention.olderThan`; still read when that is not set. */
      retentionDays: z.number().int().positive().optional(),
    })
    .prefault({}),
  retention: retentionConfigSchema.prefault({}),
  web: webConfigSchema.prefault({}),
  alerts: alertsConfigSchema.prefault({}),
  insight: insightConfigSchema.prefault({}),
  metrics: z
    .strictObject({
      /** Worker and scheduler roles serve /metrics, /livez and /readyz here when a port is set. */
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).optional(),
      /** How each run metric (failed, fetch time, ...) joins across the sources of a run. */
      rules: metricRulesSchema.prefault({}),
    })
    .prefault({}),
  redis: redisConfigSchema.optional(),
  database: databaseConfigSchema.prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).prefault({}),
  dataDir: z.string().min(1).optional(),
});

export type ConfigFile = z.output<typeof configFileSchema>;
export type SourceConfigFile = z.output<typeof sourceSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
