import type { Logger } from 'pino';

/**
 * Runs `task` every `intervalMs`, never two at once (a slow pass skips the next tick rather than
 * piling up); failures are logged, the timer keeps going, and it never holds the process open.
 */
export function startPeriodic(task: () => Promise<unknown>, intervalMs: number, logger: Logger, what: string): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((error: unknown) => logger.error({ err: error }, `${what} failed`))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
