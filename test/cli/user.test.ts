import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/http/passwords.js';
import { runJobtally } from '../support/cli.js';

const PASSWORD = 'correct-horse-battery';

// Each case is a real CLI process reading its stdin, as `printf ... | jobtally user add` does.
describe('jobtally user add', { timeout: 60_000 }, () => {
  it('reads the password and its confirmation from a pipe and prints a config entry whose hash verifies', async () => {
    const result = await runJobtally(['user', 'add', 'alice', '--role', 'operator'], { input: `${PASSWORD}\n${PASSWORD}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('Password for alice: \nAgain: \n');
    expect(result.stderr).not.toContain(PASSWORD);
    const hash = /- \{ name: alice, role: operator, passwordHash: "([^"]+)" \}/.exec(result.stdout)?.[1] ?? '';
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
  });

  it('ends with a clear error, not a silent exit, when the input runs out', async () => {
    for (const input of ['', `${PASSWORD}\n`]) {
      const result = await runJobtally(['user', 'add', 'alice'], { input });
      expect(result.code, JSON.stringify(input)).toBe(2);
      expect(result.stderr).toContain('error: the input ended before the password was given (type it at the prompt, or pipe it in with one line per prompt)');
    }
  });

  it('refuses a short password and a confirmation that differs', async () => {
    const short = await runJobtally(['user', 'add', 'alice'], { input: 'short\nshort\n' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('error: the password is too short (use at least 12 characters)');
    const differ = await runJobtally(['user', 'add', 'alice'], { input: `${PASSWORD}\n${PASSWORD}x\n` });
    expect(differ.code).toBe(2);
    expect(differ.stderr).toContain('error: the passwords differ');
  });
});
