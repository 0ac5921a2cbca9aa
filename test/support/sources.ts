import type { CountSource, FetchContext, SourceFetchResult } from '../../src/sources/types.js';

export type Step = number | Error | ((context: FetchContext) => Promise<SourceFetchResult>);

export interface ScriptedSource extends CountSource {
  calls: number;
  /** Replaces the answers and resets the call count. */
  script(steps: Step[]): void;
}

/**
 * A source whose answers a test scripts in order (the last one repeats): a number is a count,
 * an Error is thrown, a function runs. It is a fixture source, not a mock of any service.
 */
export function scriptedSource(name: string, initial: Step[] = [0]): ScriptedSource {
  let steps = initial;
  const source: ScriptedSource = {
    name,
    type: 'scripted',
    countsPastDates: true,
    calls: 0,
    describe: () => `scripted ${name}`,
    script(next) {
      steps = next;
      source.calls = 0;
    },
    async fetchCount(context) {
      const step = steps[Math.min(source.calls, steps.length - 1)];
      source.calls++;
      if (step instanceof Error) throw step;
      if (typeof step === 'function') return step(context);
      return { count: step ?? 0 };
    },
  };
  return source;
}
