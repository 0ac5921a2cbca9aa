import type { FlowJob, FlowProducer } from 'bullmq';
import { Batcher } from '../batcher.js';

/**
 * Adds flows to Redis. Flows added at the same moment (concurrent enqueues under load) go out as
 * one `addBulk`, one MULTI and one round trip instead of one each; a lone flow goes out at once
 * with `add`, as it would without batching. With tracing on, every flow is added on its own:
 * BullMQ gives all the jobs of one `addBulk` the same parent span, and each run keeps its trace.
 */
export class FlowQueue {
  private readonly batcher: Batcher<FlowJob, void> | undefined;

  constructor(
    private readonly producer: Pick<FlowProducer, 'add' | 'addBulk'>,
    options: { tracing: boolean },
  ) {
    if (!options.tracing) {
      this.batcher = new Batcher({
        execute: (flows) => this.addAll(flows),
        // The same flow twice (a run queued again by its idempotency key) goes in separate batches.
        key: (flow) => `${flow.queueName}:${flow.opts?.jobId ?? flow.name}`,
      });
    }
  }

  async add(flow: FlowJob): Promise<void> {
    if (this.batcher) await this.batcher.submit(flow);
    else await this.producer.add(flow);
  }

  private async addAll(flows: FlowJob[]): Promise<void[]> {
    if (flows.length === 1 && flows[0]) await this.producer.add(flows[0]);
    else await this.producer.addBulk(flows);
    return flows.map(() => undefined);
  }
}
