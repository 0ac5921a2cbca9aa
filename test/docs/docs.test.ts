import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { ROOT, runJobtally } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { obliterateQueues, TEST_REDIS_URL, testPrefix, testRedis } from '../support/redis.js';

/**
 * The docs cannot rot: every relative link leads somewhere, every config sample tagged `yaml tested`
 * and every file in docs/examples is a valid configuration, and every `npx jobtally` line of a block
 * tagged `sh tested` runs and exits 0 (or the code its `# exit N` comment says).
 */
const PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)];
const EXAMPLES = readdirSync(path.join(ROOT, 'docs', 'examples')).map((file) => `docs/examples/${file}`);
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Block {
  page: string;
  info: string;
  text: string;
}

function blocksOf(page: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^( *)```([^\n]*)\n([\s\S]*?)^\1```$/gm;
  for (const match of read(page).matchAll(fence)) {
    const indent = match[1] ?? '';
    const text = (match[3] ?? '').split('\n').map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line)).join('\n');
    blocks.push({ page, info: (match[2] ?? '').trim(), text });
  }
  return blocks;
}

const BLOCKS = PAGES.flatMap(blocksOf);
const tagged = (info: string) => BLOCKS.filter((block) => block.info === info);

/** Every `{ env: NAME }` the docs reference, set to a stand-in value: samples name secrets, never hold them. */
const SECRET_ENV = Object.fromEntries(
  [...PAGES, ...EXAMPLES].flatMap((file) => [...read(file).matchAll(/\{ *env: *([A-Z_][A-Z0-9_]*) *\}/g)].map((match) => [match[1] as string, 'stand-in-secret'])),
);
const readSecretFile = () => 'stand-in-secret';

/** `npx jobtally config check --config "a b"` → ['config', 'check', '--config', 'a b'] (quotes, no expansion). */
function commandArgs(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

describe('docs', () => {
  it('keeps the README short', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThan(8 * 1024);
  });

  it.each(PAGES)('%s links only to files that exist', (page) => {
    const links = [...read(page).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string).filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith('#'));
    const missing = links.filter((target) => !existsSync(path.resolve(path.dirname(path.join(ROOT, page)), target.split('#')[0] as string)));
    expect(missing).toEqual([]);
  });

  it.each(tagged('yaml tested').map((block, index) => [`${block.page} #${index + 1}`, block] as const))('config sample %s is valid', (_name, block) => {
    expect(() => parseConfig(parseYaml(block.text), { env: SECRET_ENV, readFile: readSecretFile })).not.toThrow();
  });

  it.each(EXAMPLES)('%s is a valid configuration', (file) => {
    expect(() => parseConfig(parseYaml(read(file)), { env: SECRET_ENV, readFile: readSecretFile, configPath: file })).not.toThrow();
  });
});

describe('docs commands', () => {
  let database: TestDatabase;
  let dataDir: string;
  const prefix = testPrefix();

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'jobtally-docs-'));
  });
  afterAll(async () => {
    const connection = testRedis();
    await obliterateQueues(prefix, connection);
    connection.disconnect();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const lines = tagged('sh tested').flatMap((block) =>
    block.text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('npx jobtally '))
      .map((line) => [`${block.page}: ${line}`, line] as const),
  );

  it('has commands to run', () => {
    expect(lines.length).toBeGreaterThan(0);
  });

  it.each(lines)('%s', async (_name, line) => {
    const [command, expected] = line.split(/\s+# exit /);
    const args = commandArgs(command ?? '').slice(2);
    const env = { ...SECRET_ENV, DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, JOBTALLY_QUEUE_PREFIX: prefix, JOBTALLY_DATA_DIR: dataDir };
    const result = await runJobtally(args, { env });
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: Number(expected ?? 0) });
  });
});
