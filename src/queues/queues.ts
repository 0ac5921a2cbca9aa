import { FlowProducer, Queue, type QueueOptions, type Telemetry } from 'bullmq';
import type { RedisConnection } from './connection.js';
import type { Logger } from 'pino';
import { FlowQueue } from './flows.js';
import { ALL_QUEUE_NAMES, QUEUE_NAMES, type QueueName } from './names.js';

export interface QueueSet {
  queues: Record<QueueName, Queue>;
  /** Adds the count flows, coalescing concurrent ones. */
  flows: FlowQueue;
  close(): Promise<void>;
}

/** Queues and the flow producer share one connection; every one of them reports its errors. */
export function createQueueSet(connection: RedisConnection, prefix: string, logger: Logger, telemetry?: Telemetry): QueueSet {
  const options: QueueOptions = { connection, prefix, ...(telemetry ? { telemetry } : {}) };
  const queues = Object.fromEntries(
    ALL_QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, options);
      queue.on('error', (error) => logger.error({ err: error, queue: name }, 'queue error'));
      return [name, queue];
    }),
  ) as Record<QueueName, Queue>;
  const flowProducer = new FlowProducer(options);
  flowProducer.on('error', (error) => logger.error({ err: error }, 'flow producer error'));
  return {
    queues,
    flows: new FlowQueue(flowProducer, { tracing: telemetry !== undefined }),
    async close() {
      await Promise.all([...Object.values(queues).map((queue) => queue.close()), flowProducer.close()]);
    },
  };
}

export { QUEUE_NAMES };
