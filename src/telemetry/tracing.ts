import { SpanKind, trace, type Span } from '@opentelemetry/api';
import type { Telemetry } from 'bullmq';

export { SpanKind };

export interface Tracing {
  /** Passed to every Queue, Worker and FlowProducer so one trace follows a run across processes. */
  telemetry: Telemetry;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry over OTLP/HTTP when an endpoint is configured. Without one nothing is started or
 * even loaded (the SDK is about 50 MB of a worker's memory): the spans below go to the API's no-op
 * tracer, which costs nothing.
 */
export async function startTracing(options: { endpoint: string | undefined; serviceName?: string }): Promise<Tracing | undefined> {
  if (!options.endpoint) return undefined;
  const [{ OTLPTraceExporter }, { HttpInstrumentation }, { resourceFromAttributes }, { NodeSDK }, { BatchSpanProcessor }, { ATTR_SERVICE_NAME }, { BullMQOtel }] =
    await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/semantic-conventions'),
      import('bullmq-otel'),
    ]);
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` });
  const processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? 'jobtally' }),
    spanProcessors: [processor],
    instrumentations: [new HttpInstrumentation()],
  });
  sdk.start();
  return {
    telemetry: new BullMQOtel({ tracerName: 'jobtally' }),
    flush: () => processor.forceFlush(),
    shutdown: () => sdk.shutdown(),
  };
}

const tracer = trace.getTracer('jobtally');

/** Wraps one step of our own (enqueue, store) in a span; a no-op when tracing is off. */
export function withSpan<T>(name: string, attributes: Record<string, string | number>, work: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, kind }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : new Error(String(error)));
      span.setStatus({ code: 2 });
      throw error;
    } finally {
      span.end();
    }
  });
}
