// `npm test` starts here: it checks what the tests need before running a single one, installs
// what can be installed without asking (root with apt-get), and otherwise stops at once with one
// message naming what is missing and the command that gets it. Then it runs the command given
// after `--`, with CHROMIUM_PATH and PROMTOOL_PATH set to the programs it found.
// Plain Node, no dependency and no build step: it must run on a machine that has nothing yet.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

const TOOLS = [
  { env: 'CHROMIUM_PATH', names: ['chromium', 'chromium-browser'], apt: 'chromium', why: 'the dashboard browser tests' },
  { env: 'PROMTOOL_PATH', names: ['promtool'], apt: 'prometheus', why: 'the /metrics format and alert rule tests' },
];

const SERVICES = [
  { name: 'Postgres', env: 'TEST_POSTGRES_URL', url: 'postgres://postgres@127.0.0.1:5432/postgres', port: 5432, start: 'start it (Debian: `pg_ctlcluster <version> main start`; Docker: `docker compose up -d postgres`)' },
  { name: 'Redis', env: 'TEST_REDIS_URL', url: 'redis://127.0.0.1:6379', port: 6379, start: 'start it (`redis-server --daemonize yes`; Docker: `docker compose up -d redis`)' },
];

function say(line) {
  process.stderr.write(`npm test: ${line}\n`);
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first of `names` on PATH (with Windows' extensions there), or undefined. */
function onPath(names) {
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const directory of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      for (const extension of extensions) {
        const candidate = path.join(directory, name + extension);
        if (isExecutable(candidate)) return candidate;
      }
    }
  }
  return undefined;
}

function findTool(tool) {
  const configured = process.env[tool.env];
  if (configured) return isExecutable(configured) ? configured : undefined;
  return onPath(tool.names);
}

function canInstallWithApt() {
  return process.platform === 'linux' && process.getuid?.() === 0 && onPath(['apt-get']) !== undefined;
}

function aptInstall(packages) {
  say(`installing ${packages.join(' and ')} with apt-get (needed by the tests, missing here)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...packages]]) {
    const result = spawnSync('apt-get', args, { env, encoding: 'utf8' });
    if (result.status !== 0) {
      process.stderr.write(result.stdout + result.stderr);
      return false;
    }
  }
  return true;
}

function reachable(url, fallbackPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || fallbackPort) });
    const done = (error) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(2000, () => done(new Error('no answer within 2 s')));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error) => done(error));
  });
}

const problems = [];
for (const service of SERVICES) {
  const url = process.env[service.env] ?? service.url;
  const error = await reachable(url, service.port);
  if (error) {
    const where = new URL(url);
    problems.push(`${service.name} is not answering at ${where.hostname}:${where.port || service.port} (${error.code ?? error.message}): ${service.start}, or point ${service.env} at one`);
  }
}

let missing = TOOLS.filter((tool) => findTool(tool) === undefined);
if (missing.length > 0 && canInstallWithApt() && aptInstall(missing.map((tool) => tool.apt))) {
  missing = TOOLS.filter((tool) => findTool(tool) === undefined);
}
for (const tool of missing) {
  problems.push(
    `${tool.names[0]} is missing (${tool.why}): install it with \`sudo apt-get install ${tool.apt}\` (Debian/Ubuntu), or set ${tool.env} to the program`,
  );
}

if (problems.length > 0) {
  say(`cannot run the tests yet:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exit(1);
}

const separator = process.argv.indexOf('--');
const command = separator < 0 ? [] : process.argv.slice(separator + 1);
if (command.length === 0) process.exit(0);
const env = { ...process.env };
for (const tool of TOOLS) env[tool.env] = findTool(tool);
const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env, shell: process.platform === 'win32' });
process.exit(result.status ?? 1);
