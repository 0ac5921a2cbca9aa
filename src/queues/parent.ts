import type { Job } from 'bullmq';
import type { RedisConnection } from './connection.js';

/**
 * Whether a flow child's parent has failed, or will: with failParentOnFailure, BullMQ marks the
 * parent of a failed child with a deferred failure (`defa`), which the parent's worker then turns
 * into its failure (`failedReason`). A parent gone from Redis answers true as well: nothing will
 * read its children's results any more. One HMGET, for a child already completed.
 */
export async function parentFailedOrGone(connection: RedisConnection, job: Pick<Job, 'parentKey'>): Promise<boolean> {
  if (!job.parentKey) return false;
  const [name, deferredFailure, failedReason] = await connection.hmget(job.parentKey, 'name', 'defa', 'failedReason');
  return name === null || deferredFailure !== null || failedReason !== null;
}
