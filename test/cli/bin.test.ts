import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

describe('the built CLI', () => {
  // npx runs the package's bin through a link it makes once per checkout path; a dist/ built
  // again afterwards (a fresh clone in the same place, rm -rf dist) must still be executable.
  it.skipIf(process.platform === 'win32')('runs as a command on its own, as npx and npm link start it', () => {
    const bin = path.join(ROOT, 'dist', 'workers', 'cli.js');
    const result = spawnSync(bin, ['--help'], { encoding: 'utf8' });
    expect(result.error, 'dist/ is built by npm ci (or npm run build)').toBeUndefined();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage: jobtally');
  });
});
