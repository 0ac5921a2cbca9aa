import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { RunProducer } from '../../src/flow/producer.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { startFlowWorkers, type WorkerGroup } from '../../src/flow/workers.js';
import { createSources, secretScrubber } from '../../src/lifecycle/app.js';
import { logAlertSink } from '../../src/notify/events.js';
import { createQueueSet, type QueueSet } from '../../src/queues/queues.js';
import { startTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { FakeHttpServer } from '../support/fake-http.js';
import { createHarness, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

let collector: FakeHttpServer;
let tracing: Tracing;
let harness: Harness;
let queueSet: QueueSet;
let workers: WorkerGroup;
let producer: RunProducer;

/** Every span the local OTLP/HTTP receiver has been sent so far (JSON encoding). */
function received(): OtlpSpan[] {
  return collector.requestsTo('/v1/traces').flatMap((request) =>
    ((request.body as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] }).resourceSpans ?? []).flatMap((resource) => (resource.scopeSpans ?? []).flatMap((scope) => scope.spans ?? [])),
  );
}

beforeAll(async () => {
  collector = await FakeHttpServer.start();
  collector.route('POST', '/v1/traces', () => ({ status: 200, body: {} }));
  collector.route('GET', '/count', () => ({ body: { count: 7 } }));
  const started = await startTracing({ endpoint: collector.url, serviceName: 'jobtally-test' });
  if (!started) throw new Error('tracing did not start');
  tracing = started;
  harness = await createHarness();
  const config = parseConfig({
    sources: [
      { name: 'SPA', type: 'http-json', url: `${collector.url}/count`, path: 'count' },
      { name: 'UPCTM', type: 'static', count: 3 },
    ],
    queue: { prefix: harness.config.queue.prefix },
  });
  queueSet = createQueueSet(harness.connection, config.queue.prefix, harness.logger, tracing.telemetry);
  producer = new RunProducer({ config, runs: harness.runs, writer: harness.writer, flows: queueSet.flows, logger: harness.logger });
  workers = startFlowWorkers({ connection: harness.connection, prefix: config.queue.prefix, logger: harness.logger, telemetry: tracing.telemetry }, config, {
    writer: harness.writer,
    sources: createSources(config),
    alerts: logAlertSink(harness.logger),
    logger: harness.logger,
    nearLimitPercent: 90,
    redact: secretScrubber(config),
  });
});
afterAll(async () => {
  await workers.close(true);
  await queueSet.close();
  await harness.close();
  await tracing.shutdown();
  await collector.close();
});

describe('tracing', () => {
  it('exports one trace from enqueue through both fetches to the stored result', async () => {
    const queued = await producer.enqueueRun({ trigger: 'manual' });
    expect((await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 })).status).toBe(3);
    // A span is exported when it ends, and a parent ends after its children: the aggregate job's
    // span closes after 'store result' (the job completes after the run is stored), so the trace
    // is whole only once every span's parent has arrived too. A span that lost its context lands
    // in another trace and this wait times out.
    const { root, trace } = await waitFor('the run trace, every span with its parent', async () => {
      await tracing.flush();
      const all = received();
      const enqueue = all.find((span) => span.name === 'enqueue run');
      const spans = all.filter((span) => span.traceId === enqueue?.traceId);
      const ids = new Set(spans.map((span) => span.spanId));
      const whole = spans.some((span) => span.name === 'store result') && spans.every((span) => span === enqueue || ids.has(span.parentSpanId ?? ''));
      return enqueue && whole ? { root: enqueue, trace: spans } : undefined;
    }, 15_000);
    expect(root.parentSpanId ?? '').toBe('');
    const names = trace.map((span) => span.name);
    for (const expected of ['fetch SPA', 'fetch UPCTM', 'store result']) expect(names).toContain(expected);
    expect(names.some((name) => name.includes('aggregate'))).toBe(true);
    expect(names.some((name) => name.includes('fetch') && name !== 'fetch SPA' && name !== 'fetch UPCTM')).toBe(true);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    console.info(`span tree of run ${queued.name}:\n${renderTree(trace, root)}`);
    const outgoing = trace.find((span) => span.kind === 3 && byId.get(span.parentSpanId ?? '')?.name === 'fetch SPA');
    expect(outgoing, 'the source request is a client span under fetch SPA').toBeDefined();
  });
});

function renderTree(spans: OtlpSpan[], span: OtlpSpan, depth = 0): string {
  const children = spans.filter((child) => child.parentSpanId === span.spanId);
  return [`${'  '.repeat(depth)}${span.name}`, ...children.map((child) => renderTree(spans, child, depth + 1))].join('\n');
}
