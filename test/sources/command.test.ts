import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MissingCountError, SourceTimeoutError, SourceUnavailableError } from '../../src/errors.js';
import { parseCountOutput } from '../../src/sources/command.js';
import { waitFor } from '../support/wait.js';
import { fetchContext, SECRET_ENV, sourceFromConfig } from './support.js';

/** A command source running a small Node script: a real process, no shell. */
function nodeScript(script: string, extra: Record<string, unknown> = {}) {
  return sourceFromConfig({ type: 'command', command: [process.execPath, '-e', script], ...extra });
}

function isGone(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

describe('command source', () => {
  it('reads the count printed on stdout, with only the configured environment', async () => {
    const source = nodeScript('console.log(" " + (Number(process.env.BASE) + 2) + "\\n"); console.error(process.env.DATABASE_URL ?? "clean")', {
      env: { BASE: '40' },
      secretEnv: { TOKEN: { env: 'CTM_KEY' } },
    });
    await expect(source.fetchCount(fetchContext())).resolves.toEqual({ count: 42 });
  });

  it('passes secret env values to the program only', async () => {
    const source = nodeScript('console.log(process.env.TOKEN === process.argv[1] ? 1 : 0)', { secretEnv: { TOKEN: { env: 'CTM_KEY' } } });
    const withArg = sourceFromConfig({ type: 'command', command: [process.execPath, '-e', 'console.log(process.env.TOKEN === process.argv[1] ? 1 : 0)', SECRET_ENV.CTM_KEY], secretEnv: { TOKEN: { env: 'CTM_KEY' } } });
    await expect(withArg.fetchCount(fetchContext())).resolves.toEqual({ count: 1 });
    expect(source.describe()).not.toContain(SECRET_ENV.CTM_KEY);
  });

  it('fails with the exit code and stderr when the program fails', async () => {
    const error = await nodeScript('console.error("license server unreachable"); process.exit(3)').fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as Error).message).toMatch(/exited with code 3: license server unreachable/);
  });

  it('fails clearly when the program does not exist', async () => {
    const source = sourceFromConfig({ type: 'command', command: ['/nonexistent/ctm-count'] });
    await expect(source.fetchCount(fetchContext())).rejects.toThrow(/cannot start \/nonexistent\/ctm-count/);
  });

  it('kills the whole process tree on timeout', async () => {
    const marker = `jobtally-timeout-${process.pid}-${Date.now()}`;
    const script = `require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore' }); setInterval(() => {}, 1000);`;
    const source = sourceFromConfig({ type: 'command', command: [process.execPath, '-e', script], timeoutMs: 1000 });
    await expect(source.fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceTimeoutError);
    await waitFor('the grandchild to die', () => Promise.resolve(processesWith(marker).length === 0), 5000);
  });

  it('rejects output that is not one whole number', () => {
    for (const output of ['', '12 jobs', '-1', '1.5', 'NaN', '1\n2', '99999999999999999999']) {
      expect(() => parseCountOutput('SPA', output), JSON.stringify(output)).toThrow(MissingCountError);
    }
    expect(parseCountOutput('SPA', '  48500\n')).toBe(48_500);
  });
});

/** Live (not zombie) processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) && !isGone(pid);
      } catch {
        return false;
      }
    });
}
