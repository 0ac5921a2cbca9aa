import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowProducer, Queue, type FlowJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { FlowQueue } from '../../src/queues/flows.js';
import { obliterateQueues, testPrefix, testRedis } from '../support/redis.js';

let connection: Redis;
let prefix: string;
let producer: FlowProducer;
let fetchQueue: Queue;

beforeAll(() => {
  connection = testRedis();
  prefix = testPrefix();
  producer = new FlowProducer({ connection, prefix });
  fetchQueue = new Queue('fetch', { connection, prefix });
});
afterAll(async () => {
  await producer.close();
  await fetchQueue.close();
  await obliterateQueues(prefix, connection);
  connection.disconnect();
});

/** The real flow producer, with a record of which of its calls each flow went through. */
function recorded() {
  const calls: string[] = [];
  const recording = {
    add: (flow: FlowJob) => {
      calls.push('add 1');
      return producer.add(flow);
    },
    addBulk: (flows: FlowJob[]) => {
      calls.push(`addBulk ${flows.length}`);
      return producer.addBulk(flows);
    },
  };
  return { calls, recording };
}

let sequence = 0;
function flow(): FlowJob {
  const id = `run-${++sequence}-${Date.now()}`;
  return {
    name: 'aggregate',
    queueName: 'aggregate',
    opts: { jobId: id },
    children: ['SPA', 'UPCTM'].map((source) => ({ name: 'fetch', queueName: 'fetch', opts: { jobId: `${id}.${source}`, failParentOnFailure: true } })),
  };
}

describe('FlowQueue', () => {
  it('adds flows queued at the same moment in one addBulk, and each of them whole', async () => {
    const { calls, recording } = recorded();
    const flows = new FlowQueue(recording, { tracing: false });
    const added = Array.from({ length: 10 }, () => flow());
    await Promise.all(added.map((each) => flows.add(each)));
    expect(calls).toEqual(['addBulk 10']);
    for (const each of added) {
      for (const child of each.children ?? []) expect(await fetchQueue.getJobState(String(child.opts?.jobId))).toBe('waiting');
    }
  });

  it('adds a lone flow at once with add, and the same flow twice in separate calls', async () => {
    const { calls, recording } = recorded();
    const flows = new FlowQueue(recording, { tracing: false });
    await flows.add(flow());
    const again = flow();
    await Promise.all([flows.add(again), flows.add(again)]);
    expect(calls).toEqual(['add 1', 'add 1', 'add 1']);
  });

  it('adds every flow on its own when tracing is on, so each run keeps its own trace', async () => {
    const { calls, recording } = recorded();
    const flows = new FlowQueue(recording, { tracing: true });
    await Promise.all(Array.from({ length: 3 }, () => flows.add(flow())));
    expect(calls).toEqual(['add 1', 'add 1', 'add 1']);
  });
});
