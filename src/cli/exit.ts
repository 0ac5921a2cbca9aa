/** Exit codes: 0 ok, 1 the run failed, 2 bad input or config, 3 a service is unreachable. */
export const EXIT = { ok: 0, runFailed: 1, badInput: 2, unavailable: 3 } as const;

/** Thrown by commands to end with a given exit code after printing their own output. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
