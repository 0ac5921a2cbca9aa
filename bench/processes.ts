import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Extra node flags for each bench child process, e.g. `BENCH_CHILD_FLAGS=--cpu-prof`. */
const CHILD_FLAGS = process.env.BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? [];

/** How to run a sibling bench script: compiled when the bench runs compiled (`npm run bench`), as production does; else through tsx. */
function scriptArguments(stem: string): string[] {
  const self = fileURLToPath(import.meta.url);
  const directory = path.dirname(self);
  return self.endsWith('.js') ? [path.join(directory, `${stem}.js`)] : ['--import', 'tsx', path.join(directory, `${stem}.ts`)];
}

export interface BenchChild {
  process: ChildProcess;
  /** Each line the child writes to stdout. */
  lines: AsyncIterable<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `bench/<stem>` in a fresh node process with `request` as its one argument (JSON), and `nodeFlags`. */
export function startBenchChild(stem: string, request: unknown, nodeFlags: readonly string[] = []): BenchChild {
  const child = spawn(process.execPath, [...nodeFlags, ...CHILD_FLAGS, ...scriptArguments(stem), JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  return { process: child, lines: createInterface({ input: child.stdout }), exited };
}
