import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, watch, type Service } from '../../support/cli.js';

export interface JobtallyProcess extends Service {
  pid: number;
}

/**
 * `node --import tsx workers/cli.ts ...` directly, not through the tsx launcher, so the pid is the
 * worker itself and `kill -9` hits it.
 */
export function spawnJobtally(args: string[], env: Record<string, string>): JobtallyProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'cli.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { ...watch(child), pid: child.pid ?? 0 };
}

export async function writeConfig(dir: string, name: string, config: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}
