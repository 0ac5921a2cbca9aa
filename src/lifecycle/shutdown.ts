import type { Logger } from 'pino';

export interface ShutdownOptions {
  logger: Logger;
  /** How long active jobs get to finish before they are abandoned (they return to the queue). */
  graceMs: number;
  /** Graceful stop; `force` abandons active jobs. */
  stop: (force: boolean) => Promise<void>;
  exit: (code: number) => void;
  signals?: NodeJS.Signals[];
}

/**
 * First SIGTERM/SIGINT: stop taking jobs and let active ones finish within the grace period,
 * then close connections and exit 0. A second signal exits at once.
 */
export function installShutdown(options: ShutdownOptions): { stopped: Promise<void> } {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting now');
      options.exit(1);
      return;
    }
    stopping = true;
    options.logger.info({ signal, graceMs: options.graceMs }, 'shutting down: finishing active jobs');
    const timer = setTimeout(() => {
      options.logger.warn('grace period over: abandoning active jobs, they will be retried');
      options.stop(true).catch((error: unknown) => options.logger.error({ err: error }, 'forced stop failed'));
    }, options.graceMs);
    timer.unref();
    options
      .stop(false)
      .then(() => {
        clearTimeout(timer);
        options.logger.info('stopped cleanly');
        for (const name of signals) process.off(name, onSignal);
        resolveStopped();
        options.exit(0);
      })
      .catch((error: unknown) => {
        options.logger.error({ err: error }, 'shutdown failed');
        options.exit(1);
      });
  };
  for (const name of signals) process.on(name, onSignal);
  return { stopped };
}
