import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../src/lifecycle/node-flags.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

const npmScript = (name: string) => ((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts[name] ?? '').split(' ');

/**
 * The node command line of each way jobtally's services start, as written there, and of the bench,
 * whose own process creates runs and times the dashboard's queries as the producer and web roles do.
 */
const launches = {
  'Dockerfile ENTRYPOINT': { args: () => JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1] ?? '[]') as string[], script: 'cli.js' },
  'npm start': { args: () => npmScript('start'), script: 'cli.js' },
  'npm run bench': { args: () => npmScript('bench'), script: 'run.js' },
};

describe('node flags', () => {
  it.each(Object.entries(launches))('%s starts node with every flag, before the script', (_launch, launch) => {
    const args = launch.args();
    const script = args.findIndex((arg) => arg.endsWith(launch.script));
    expect(script).toBeGreaterThan(0);
    const flagsGiven = args.slice(0, script);
    for (const flag of NODE_FLAGS) expect(flagsGiven).toContain(flag);
  });
});
