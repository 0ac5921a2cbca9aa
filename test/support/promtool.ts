import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';

/** What `promtool check metrics` says of a scrape: empty when it accepts it. */
export async function promtoolComplaints(text: string): Promise<string> {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: run the tests with \`npm test\`, which installs it or says how`);
  const dir = await mkdtemp(path.join(tmpdir(), 'jobtally-metrics-'));
  try {
    const file = path.join(dir, 'metrics.txt');
    await writeFile(file, text);
    const { stdout, stderr } = await promisify(execFile)('sh', ['-c', `${PROMTOOL} check metrics < ${file}`]);
    return `${stdout}${stderr}`.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
