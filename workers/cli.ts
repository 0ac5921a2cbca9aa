#!/usr/bin/env node
import { runCli } from '../src/cli/program.js';
import { registerUserCommands } from '../src/cli/commands/user.js';
import { readSecretsFromTerminal } from '../src/cli/terminal.js';
import { startWebServer } from '../src/http/server.js';

const code = await runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    cwd: process.cwd(),
    readSecrets: readSecretsFromTerminal,
  },
  { starters: { web: (app) => startWebServer(app) }, extraCommands: [registerUserCommands] },
);
process.exitCode = code;
