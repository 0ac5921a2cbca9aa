import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../src/lifecycle/node-flags.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

/** The node command line of each way jobtally's services start, as written there. */
const launches = {
  'Dockerfile ENTRYPOINT': () => JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1] ?? '[]') as string[],
  'npm start': () => ((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start ?? '').split(' '),
};

describe('node flags', () => {
  it.each(Object.entries(launches))('%s starts node with every flag, before the script', (_launch, argumentsOf) => {
    const args = argumentsOf();
    const script = args.findIndex((arg) => arg.endsWith('cli.js'));
    expect(script).toBeGreaterThan(0);
    const flagsGiven = args.slice(0, script);
    for (const flag of NODE_FLAGS) expect(flagsGiven).toContain(flag);
  });
});
