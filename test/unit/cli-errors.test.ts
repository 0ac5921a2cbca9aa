import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';

describe('the CLI on an unexpected error', () => {
  it('prints the chain of causes, where a library error hides the one that says what happened', async () => {
    const stderr: string[] = [];
    const io = { stdout: () => undefined, stderr: (text: string) => stderr.push(text), env: {}, cwd: process.cwd() };
    const code = await runCli(['boom'], io, {
      extraCommands: [
        (program) => {
          program.command('boom').action(() => {
            throw new Error('Failed query: select 1 from job_logs', { cause: new Error('relation "job_logs" does not exist') });
          });
        },
      ],
    });
    expect(code).toBe(1);
    expect(stderr).toEqual(['error: Failed query: select 1 from job_logs\n  caused by: relation "job_logs" does not exist']);
  });
});
