import { UnrecoverableError, Worker, type Queue } from 'bullmq';
import type { RedisConnection } from '../queues/connection.js';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { alertJobId, QUEUE_NAMES } from '../queues/names.js';
import { deliver, DeliveryError, type AlertChannel, type DeliveryContext } from './channels.js';
import { describeAlert, type AlertEvent, type AlertSink } from './events.js';

interface AlertJobData {
  channel: string;
  event: AlertEvent;
}

/** Alert jobs are kept this long after delivery: their ids de-duplicate repeats of the same day. */
const KEEP_DELIVERED_SECONDS = 2 * 86_400;

function wants(channel: AlertChannel, event: AlertEvent): boolean {
  return !channel.events || channel.events.includes(event.kind);
}

/**
 * Queues one delivery job per matching channel. The job id is the de-duplication key, so the same
 * event for the same client and business date reaches each channel once, not at every run.
 */
export class QueueAlertSink implements AlertSink {
  constructor(
    private readonly queue: Queue,
    private readonly alerts: Config['alerts'],
    private readonly logger: Logger,
  ) {}

  async send(event: AlertEvent): Promise<void> {
    this.logger.warn({ alert: event }, `alert: ${describeAlert(event).title}`);
    for (const channel of this.alerts.channels.filter((candidate) => wants(candidate, event))) {
      try {
        await this.queue.add('deliver', { channel: channel.name, event } satisfies AlertJobData, {
          jobId: alertJobId(event.kind, event.client, event.businessDate, channel.name),
          attempts: this.alerts.attempts,
          backoff: { type: 'exponential', delay: this.alerts.backoffMs },
          removeOnComplete: { age: KEEP_DELIVERED_SECONDS },
          removeOnFail: { age: 7 * 86_400 },
        });
      } catch (error) {
        // Alerting must never fail the run that raised it.
        this.logger.error({ err: error, channel: channel.name }, 'could not queue alert');
      }
    }
  }
}

/** Delivers queued alerts; each channel's job retries on its own, so one broken channel blocks nothing. */
export function startAlertWorker(setup: { connection: RedisConnection; prefix: string; logger: Logger }, alerts: Config['alerts'], context: DeliveryContext): Worker {
  const channels = new Map(alerts.channels.map((channel) => [channel.name, channel]));
  const worker = new Worker<AlertJobData>(
    QUEUE_NAMES.alert,
    async (job) => {
      const channel = channels.get(job.data.channel);
      if (!channel) throw new UnrecoverableError(`alert channel ${job.data.channel} is no longer configured`);
      try {
        await deliver(channel, job.data.event, context);
      } catch (error) {
        if (error instanceof DeliveryError && error.permanent) throw new UnrecoverableError(`${channel.name}: ${error.message}`);
        throw error;
      }
      setup.logger.info({ channel: channel.name, alert: job.data.event.kind, client: job.data.event.client }, 'alert delivered');
    },
    { connection: setup.connection, prefix: setup.prefix, concurrency: 5 },
  );
  worker.on('failed', (job, error) => {
    setup.logger.warn({ err: error, channel: job?.data.channel, attempt: job?.attemptsMade }, 'alert delivery failed');
  });
  worker.on('error', (error) => setup.logger.error({ err: error }, 'alert worker error'));
  return worker;
}
