import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { RequestHandler } from 'express';

export const BULL_BOARD_PATH = '/admin/queues';

/** Two boards over the same queues: read-only for viewers, full control for operators. */
export function bullBoards(queues: readonly Queue[]): { viewer: RequestHandler; operator: RequestHandler } {
  const build = (readOnlyMode: boolean): RequestHandler => {
    const adapter = new ExpressAdapter();
    adapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode, allowRetries: !readOnlyMode })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'jobtally queues' } },
    });
    return adapter.getRouter() as RequestHandler;
  };
  return { viewer: build(true), operator: build(false) };
}
