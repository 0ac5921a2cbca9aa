import { ServiceUnavailableError } from '../errors.js';
import type { RunsRepository } from '../persistence/runs-repository.js';
import { RUN_STATUS, type JobLog } from '../persistence/schema.js';

/** Waits until a run is success or error, reading its row; used by `run --wait` and tests. */
export async function waitForRunFinished(
  runs: RunsRepository,
  name: string,
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<JobLog> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  for (;;) {
    const run = await runs.findByName(name);
    if (run && (run.status === RUN_STATUS.success || run.status === RUN_STATUS.error)) return run;
    if (Date.now() >= deadline || options.signal?.aborted) {
      throw new ServiceUnavailableError(`run ${name} did not finish within ${Math.round(options.timeoutMs / 1000)} s`, {
        hint: 'check that a worker is running (`jobtally start --role worker`) and look at the run with `jobtally runs show`',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
