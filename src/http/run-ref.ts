import { InputError, NotFoundError } from '../errors.js';
import type { RunProducer } from '../flow/producer.js';
import type { JobLog } from '../persistence/schema.js';

/** A URL segment that is not a run name or short id names no run: 404, whatever it contains. */
export async function findRunByPath(producer: RunProducer, segment: string): Promise<JobLog> {
  try {
    return await producer.findRun(segment);
  } catch (error) {
    if (error instanceof InputError) throw new NotFoundError(`run ${segment} not found`, { cause: error });
    throw error;
  }
}
