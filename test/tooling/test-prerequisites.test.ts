import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `npm test`'s first step, run as a program with a PATH that holds nothing (no apt-get to install with). */
const SCRIPT = path.resolve('scripts/test-prerequisites.mjs');
let emptyPath: string;

beforeAll(async () => {
  emptyPath = await mkdtemp(path.join(os.tmpdir(), 'jobtally-empty-path-'));
});
afterAll(async () => {
  await rm(emptyPath, { recursive: true, force: true });
});

async function prerequisites(env: Record<string, string>, command: string[] = []) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, '--', ...command], { env: { PATH: emptyPath, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm test prerequisites', () => {
  it('is what `npm test` runs first, before any test', () => {
    const scripts = (JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).toBe('node scripts/test-prerequisites.mjs -- npm run test:all');
    expect(scripts['test:all']).toMatch(/^npm run typecheck && .*vitest run && npm run test:browser$/);
  });

  it('stops at once naming every missing piece and the command that gets it', async () => {
    const started = performance.now();
    const result = await prerequisites({ TEST_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/postgres', TEST_REDIS_URL: 'redis://127.0.0.1:1' });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm test: cannot run the tests yet:');
    expect(result.stderr).toContain('Postgres is not answering at 127.0.0.1:1 (ECONNREFUSED)');
    expect(result.stderr).toContain('Redis is not answering at 127.0.0.1:1 (ECONNREFUSED)');
    expect(result.stderr).toContain('chromium is missing (the dashboard browser tests): install it with `sudo apt-get install chromium`');
    expect(result.stderr).toContain('promtool is missing (the /metrics format and alert rule tests): install it with `sudo apt-get install prometheus`');
  });

  it('runs the tests with the programs it found', async () => {
    const env = {
      CHROMIUM_PATH: process.execPath,
      PROMTOOL_PATH: process.execPath,
      ...(process.env.TEST_POSTGRES_URL ? { TEST_POSTGRES_URL: process.env.TEST_POSTGRES_URL } : {}),
      ...(process.env.TEST_REDIS_URL ? { TEST_REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    };
    const result = await prerequisites(env, [process.execPath, '-e', 'process.stdout.write(`${process.env.CHROMIUM_PATH} ${process.env.PROMTOOL_PATH}`)']);
    expect(result).toMatchObject({ code: 0, stdout: `${process.execPath} ${process.execPath}` });
  });
});
