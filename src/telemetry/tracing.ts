import { SpanKind, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';

export { SpanKind };

export interface Tracing {
  /** Passed to every Queue, Worker and FlowProducer so one trace follows a run across processes. */
  telemetry: Telemetry;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry over OTLP/HTTP when an endpoint is configured. Without one nothing is started: the
 * spans below go to the API's no-op tracer, which costs nothing.
 */
export function startTracing(options: { endpoint: string | undefined; serviceName?: string }): Tracing | undefined {
  if (!options.endpoint) return undefined;
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
