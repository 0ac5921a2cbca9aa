import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const controlm = (overrides: Record<string, unknown> = {}) => ({
  name: 'SPA',
  type: 'controlm',
  endpoint: 'https://spa-ctm.example:8443/automation-api',
  auth: { apiKey: { env: 'SPA_API_KEY' } },
  ...overrides,
});

function configError(raw: unknown, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(raw, { env, configPath: 'jobtally.config.yaml' });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('applies defaults: limit 48,500, UTC, one source list, no schedules', () => {
    const config = parseConfig({ sources: [controlm()] }, { env: { SPA_API_KEY: 'k-123' } });
    expect(config).toMatchObject({ limit: 48_500, timezone: 'UTC', nearLimitPercent: 90, schedules: [], demo: false });
    expect(config.queue).toMatchObject({ prefix: '{jobtally}', attempts: 5 });
    expect(config.sources[0]).toMatchObject({ name: 'SPA', mode: 'usage', timeoutMs: 10_000 });
  });

  it('lists the path of every bad field', () => {
    const error = configError({
      limit: -5,
      sources: [controlm(), controlm({ name: 'UPCTM', endpoint: 'not a url' }), { name: 'X', type: 'nope' }],
      schedules: [{ name: 'five', every: 'soon' }],
    });
    const paths = error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    expect(paths).toContain('sources[1].endpoint: Invalid URL');
    expect(paths.some((line) => line.startsWith('limit:'))).toBe(true);
    expect(paths.some((line) => line.startsWith('sources[2].type:'))).toBe(true);
    expect(paths.some((line) => line.startsWith('schedules[0].every:'))).toBe(true);
    expect(error.describe()).toContain('  sources[1].endpoint: Invalid URL');
  });

  it('names the setting a misspelt key was meant to be, at any depth', () => {
    const error = configError({
      limt: 100,
      sources: [controlm({ auth: { apiKey: { env: 'SPA_API_KEY' }, user: 'ops' } }), { name: 'X', type: 'static', count: 1, delayMS: 5 }],
      schedules: [{ name: 'five', evry: '5m' }],
    }, { SPA_API_KEY: 'k-123' });
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: '(root)', message: 'unknown key limt: did you mean limit?' },
        { path: 'sources[0].auth', message: 'unknown key user: use apiKey' },
        { path: 'sources[1]', message: 'unknown key delayMS: did you mean delayMs?' },
        { path: 'schedules[0]', message: 'unknown key evry: did you mean every?' },
      ]),
    );
  });

  it('refuses plaintext secrets and duplicate source names', () => {
    const plaintext = configError({ sources: [controlm({ auth: { apiKey: 'hunter2' } })] });
    expect(plaintext.issues).toEqual([{ path: 'sources[0].auth.apiKey', message: 'plaintext secrets are not allowed here: use { env: NAME } or { file: PATH }' }]);
    expect(plaintext.describe()).not.toContain('hunter2');
    const login = configError({ sources: [controlm({ auth: { username: 'ops', password: 'hunter2' } })] });
    expect(login.issues.map((issue) => issue.path)).toEqual(['sources[0].auth.password']);
    const duplicate = configError({ sources: [controlm(), controlm()] });
    expect(duplicate.issues).toEqual([{ path: 'sources[1].name', message: 'duplicate source name SPA' }]);
  });

  it('resolves secrets from env and files and never prints them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jt-config-'));
    writeFileSync(path.join(dir, 'password'), 's3cret-from-file\n');
    const config = parseConfig(
      {
        sources: [
          controlm(),
          controlm({ name: 'UPCTM', auth: { username: 'ops', password: { file: path.join(dir, 'password') } } }),
        ],
      },
      { env: { SPA_API_KEY: 'k-very-secret' } },
    );
    const [spa, upctm] = config.sources;
    if (spa?.type !== 'controlm' || upctm?.type !== 'controlm') throw new Error('unexpected');
    expect('apiKey' in spa.auth && spa.auth.apiKey.reveal()).toBe('k-very-secret');
    expect('password' in upctm.auth && upctm.auth.password.reveal()).toBe('s3cret-from-file');
    const printed = JSON.stringify(config) + inspect(config, { depth: 10 });
    expect(printed).not.toContain('k-very-secret');
    expect(printed).not.toContain('s3cret-from-file');
  });

  it('names a missing secret variable without exposing anything', () => {
    const error = configError({ sources: [controlm()] });
    expect(error.issues).toEqual([{ path: 'sources[0].auth.apiKey', message: expect.stringContaining('SPA_API_KEY is not set') }]);
  });

  it('parses durations and validates time zones', () => {
    const config = parseConfig({ sources: [{ name: 'A', type: 'static', count: 1 }], schedules: [{ name: 'fast', every: '5m' }, { name: 'paris', cron: '0 * * * *', tz: 'Europe/Paris' }] });
    expect(config.schedules[0]).toMatchObject({ every: 300_000, client: 'default' });
    const error = configError({ sources: [{ name: 'A', type: 'static', count: 1 }], schedules: [{ name: 'x', cron: '* * * * *', tz: 'Mars/Olympus' }] });
    expect(error.issues[0]?.path).toBe('schedules[0].tz');
  });

  it('schedules retention daily by default: 90 days, 03:00 in the business time zone, with an archive', () => {
    const sources = [{ name: 'SPA', type: 'static', count: 1 }];
    expect(parseConfig({ sources, timezone: 'Europe/Paris' }).retention).toEqual({
      enabled: true,
      olderThanMs: 90 * 86_400_000,
      schedule: '0 3 * * *',
      tz: 'Europe/Paris',
      archive: true,
      archiveDir: undefined,
    });
    expect(parseConfig({ sources, retention: { olderThan: '30d', schedule: '30 2 * * 0', tz: 'UTC', archiveDir: '/srv/archive' } }).retention).toMatchObject({
      olderThanMs: 30 * 86_400_000,
      schedule: '30 2 * * 0',
      tz: 'UTC',
      archiveDir: '/srv/archive',
    });
    expect(parseConfig({ sources, retention: { enabled: false } }).retention.enabled).toBe(false);
    // The older runs.retentionDays still counts when retention.olderThan is not set.
    expect(parseConfig({ sources, runs: { retentionDays: 400 } }).retention.olderThanMs).toBe(400 * 86_400_000);
  });

  it('refuses a retention age under a day (a bare number is milliseconds) and two ages at once', () => {
    const sources = [{ name: 'SPA', type: 'static', count: 1 }];
    expect(configError({ sources, retention: { olderThan: 90 } }).issues).toEqual([{ path: 'retention.olderThan', message: 'keep at least 1d of runs (a bare number is milliseconds: write 90d)' }]);
    expect(configError({ sources, retention: { olderThan: '12h' } }).issues.map((issue) => issue.path)).toEqual(['retention.olderThan']);
    expect(configError({ sources, retention: { olderThan: '30d' }, runs: { retentionDays: 30 } }).issues).toEqual([{ path: 'runs.retentionDays', message: 'superseded by retention.olderThan: remove it' }]);
    expect(configError({ sources, retention: { every: '1d' } }).issues.map((issue) => issue.path)).toEqual(['retention']);
  });

  it('uses demo sources when there is no config file, and data in the data dir', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'jt-empty-'));
    const config = loadConfig({ cwd, env: { JOBTALLY_DATA_DIR: path.join(cwd, 'data') } });
    expect(config.demo).toBe(true);
    expect(config.sources.map((source) => source.name)).toEqual(['SPA', 'UPCTM']);
    expect(config.dataDir).toBe(path.join(cwd, 'data'));
    expect(config.schedules.length).toBe(1);
  });

  it('finds jobtally.config.yaml in the working directory, or --config / JOBTALLY_CONFIG', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'jt-file-'));
    writeFileSync(path.join(cwd, 'jobtally.config.yaml'), 'limit: 1000\nsources:\n  - { name: A, type: static, count: 3 }\n');
    writeFileSync(path.join(cwd, 'other.json'), JSON.stringify({ limit: 2000, sources: [{ name: 'B', type: 'static', count: 1 }] }));
    expect(loadConfig({ cwd }).limit).toBe(1000);
    expect(loadConfig({ cwd, configPath: 'other.json' }).limit).toBe(2000);
    expect(loadConfig({ cwd, env: { JOBTALLY_CONFIG: 'other.json' } }).limit).toBe(2000);
    expect(() => loadConfig({ cwd, configPath: 'missing.yaml' })).toThrow(/does not exist/);
    writeFileSync(path.join(cwd, 'broken.yaml'), 'limit: [1, 2\n');
    expect(() => loadConfig({ cwd, configPath: 'broken.yaml' })).toThrow(/not valid YAML or JSON: .+ at line 2, column 1$/);
  });
});
